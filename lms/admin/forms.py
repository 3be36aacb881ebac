from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from lms.admin.services import grantable_roles
from lms.auth import services as accounts
from lms.auth.forms import language_choices
from lms.auth.models import ROLE_LABELS


class UserForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"))
    locale = SelectField(_l("Language"))

    def __init__(self, actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(role, ROLE_LABELS[role]) for role in grantable_roles(actor)]
        self.locale.choices = [("", _l("Browser language")), *language_choices()]


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Initial password"),
        validators=[Optional()],
        description=_l("Leave empty to mail the person a link to choose their own."),
    )

    def validate_email(self, field):
        if accounts.email_taken(field.data):
            raise ValidationError(_l("An account with this email already exists."))

    def validate_password(self, field):
        problems = accounts.password_problems(field.data)
        if problems:
            raise ValidationError(" ".join(problems))


class UploadUsersForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(), FileAllowed(["csv", "txt"], _l("Choose a .csv file."))],
        description=_l("Columns: email, name, role, language. The first line names the columns."),
    )


class ConfirmImportForm(FlaskForm):
    csv_text = HiddenField(validators=[DataRequired()])


class SettingsForm(FlaskForm):
    self_registration = BooleanField(_l("Anyone may create an account (self-registration)"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form that changes nothing

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = StringField(_l("Who (email)"), validators=[Optional(), Length(max=254)])
    target = StringField(_l("Target"), validators=[Optional(), Length(max=254)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
