from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from lms.enrollments.models import ACTIVE, INSTRUCTOR, TRAINEE, WITHDRAWN
from lms.enrollments.services import GROUP_NAME_LENGTH

NO_GROUP = "none"
COURSE_ROLE_LABELS = {TRAINEE: _l("Trainee"), INSTRUCTOR: _l("Instructor")}
STATUS_LABELS = {ACTIVE: _l("Active"), WITHDRAWN: _l("Withdrawn")}


def strip(value):
    return value.strip() if isinstance(value, str) else value


def group_choices(groups, empty_label):
    return [("", empty_label), *((str(group.id), group.name) for group in groups)]


class PeopleFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter that changes nothing

    group = SelectField(_l("Group"), default="")
    status = SelectField(_l("Status"), default="")

    def __init__(self, groups, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [("", _l("All")), *STATUS_LABELS.items()]
        self.group.choices = [*group_choices(groups, _l("All groups")), (NO_GROUP, _l("No group"))]


class AddPersonForm(FlaskForm):
    email = EmailField(
        _l("Email"), filters=[strip], validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("The person needs an account already."),
    )
    role = SelectField(_l("Role in the course"))
    group = SelectField(_l("Group"))

    def __init__(self, groups, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = list(COURSE_ROLE_LABELS.items())
        self.group.choices = group_choices(groups, _l("No group"))


class ChangeGroupForm(FlaskForm):
    group = SelectField(_l("Group"))

    def __init__(self, groups, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group.choices = group_choices(groups, _l("No group"))


class GroupForm(FlaskForm):
    name = StringField(_l("New group"), filters=[strip], validators=[DataRequired(), Length(max=GROUP_NAME_LENGTH)])


class ActionForm(FlaskForm):
    """A CSRF-protected button: withdraw, enroll again."""


class UploadEnrollmentsForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(), FileAllowed(["csv", "txt"], _l("Choose a .csv file."))],
        description=_l("Columns: email, role, group. The first line names the columns."),
    )


class ConfirmEnrollmentsForm(FlaskForm):
    csv_text = HiddenField(validators=[DataRequired()])
