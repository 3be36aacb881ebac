"""Accounts: passwords, sign-in, registration and password reset, independent of requests."""
from functools import cache
from pathlib import Path

from flask import current_app, url_for
from flask_babel import force_locale, gettext as _, ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from lms import mail
from lms.audit.services import record
from lms.auth.models import TRAINEE, User, utcnow
from lms.extensions import db

COMMON_PASSWORDS_FILE = Path(__file__).parent.parent / "data" / "common-passwords.txt"
RESET_SALT = "password-reset"


@cache
def common_passwords():
    """Django's list of 20,000 common passwords, kept to those long enough to pass our length rule."""
    return frozenset(COMMON_PASSWORDS_FILE.read_text().split())


def password_problems(password, user=None):
    """Why a password is refused, as messages for the form; empty when it is acceptable."""
    problems = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("Use at least %(count)d characters.", count=minimum))
    if password.lower() in common_passwords():
        problems.append(_("This password is too common; choose one that is harder to guess."))
    if user is not None and password.lower() in (user.email.lower(), user.name.lower()):
        problems.append(_("The password must not be your name or email address."))
    return problems


def normalize_email(email):
    return email.strip().lower()


def find_user(email):
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def email_taken(email):
    return db.session.scalar(select(func.count()).select_from(User).where(User.email == normalize_email(email))) > 0


def authenticate(email, password):
    """The active user with these credentials, or None. Every attempt is audited."""
    user = find_user(email)
    if user is None or not user.active or not user.check_password(password):
        record("auth.login_failed", target=normalize_email(email))
        return None
    user.last_login_at = utcnow()
    record("auth.login", target=user.email, actor=user)
    return user


def create_user(email, name, role=TRAINEE, locale=None, password=None, actor=None, action="user.created"):
    user = User(email=normalize_email(email), name=name.strip(), role=role, locale=locale or None)
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(action, target=user.email, actor=actor or user, role=role)
    return user


def change_password(user, new_password):
    """Set a new password and end every other session of this user."""
    user.set_password(new_password)
    user.session_version += 1
    record("auth.password_changed", target=user.email, actor=user)


def reset_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def reset_token(user):
    """A signed token that dies after PASSWORD_RESET_MAX_AGE or once the password changes."""
    return reset_serializer().dumps({"id": user.id, "v": user.session_version})


def user_from_reset_token(token):
    try:
        data = reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("id"))
    if user is None or not user.active or user.session_version != data.get("v"):
        return None
    return user


def send_password_link(user, welcome=False):
    """Mail a link to set a new password, in the user's own language."""
    link = url_for("auth.reset_password", token=reset_token(user), _external=True)
    hours = current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if welcome:
            subject = _("Your Kelisim account")
            intro = _("An account has been created for you on Kelisim. Choose your password here:")
        else:
            subject = _("Reset your Kelisim password")
            intro = _("Someone asked to reset the password of your Kelisim account. Choose a new one here:")
        body = "\n\n".join(
            [
                _("Hello %(name)s,", name=user.name),
                intro,
                link,
                ngettext("The link works for %(num)d hour and only once.", "The link works for %(num)d hours and only once.", hours),
                _("If you did not ask for this, you can ignore this message."),
            ]
        )
    mail.send(user.email, subject, body)
    record("auth.password_link_sent", target=user.email, welcome=welcome)
