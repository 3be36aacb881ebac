from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional


class EnrollForm(FlaskForm):
    """Enroll, leave, or mark as done: a CSRF-protected button, with the key for courses that need one."""

    key = StringField(_l("Enrollment key"), validators=[Optional(), Length(max=100)])
