from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from lms.enrollments.forms import group_choices


class AttemptFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter that changes nothing

    group = SelectField(_l("Group"), default="")

    def __init__(self, groups, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group.choices = group_choices(groups, _l("All groups"))

