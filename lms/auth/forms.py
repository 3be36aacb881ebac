from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from lms.auth import services
from lms.i18n import LANGUAGE_NAMES


def language_choices():
    return [(code, LANGUAGE_NAMES[code]) for code in current_app.config["LMS_LANGUAGES"]]


class NewPasswordMixin:
    """A new password typed twice and checked against the password rules."""

    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )

    def validate_password(self, field):
        problems = services.password_problems(field.data, self.password_owner())
        if problems:
            raise ValidationError(" ".join(problems))

    def password_owner(self):
        return current_user if current_user.is_authenticated else None


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class RegistrationForm(NewPasswordMixin, FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    locale = SelectField(_l("Language"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()

    def validate_email(self, field):
        if services.email_taken(field.data):
            raise ValidationError(_l("An account with this email already exists. Sign in or reset the password."))

    def password_owner(self):
        return None


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(_l("Language"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])

    def validate_current_password(self, field):
        if not current_user.check_password(field.data):
            raise ValidationError(_l("The current password is not correct."))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def password_owner(self):
        return self.user
