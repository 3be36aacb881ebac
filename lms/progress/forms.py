from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from lms.progress.services import REPORT_SORTS

SORT_LABELS = {"name": _l("Name"), "progress": _l("Progress"), "activity": _l("Last activity")}
ORDER_LABELS = {"asc": _l("Ascending"), "desc": _l("Descending")}


class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter that changes nothing

    group = SelectField(_l("Group"), default="")
    sort = SelectField(_l("Sort by"), default="name")
    order = SelectField(_l("Order"), default="asc")

    def __init__(self, groups, my_group=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sort.choices = [(key, SORT_LABELS[key]) for key in REPORT_SORTS]
        self.order.choices = list(ORDER_LABELS.items())
        self.group.choices = [("", _l("All groups"))]
        for group in groups:
            label = _l("%(name)s (my group)", name=group.name) if group == my_group else group.name
            self.group.choices.append((str(group.id), label))
