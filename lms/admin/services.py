"""User administration and site settings, with the rules that protect them."""
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from lms.admin.models import SiteSetting
from lms.audit.services import record
from lms.auth import services as accounts
from lms.auth.models import ADMIN, ROLES, User
from lms.csv_import import read_rows
from lms.extensions import db

SELF_REGISTRATION = "self_registration"
CSV_COLUMNS = ("email", "name", "role", "language")
ROLE_ALIASES = {"administrator": ADMIN}


class AdminRuleError(Exception):
    """An administrative change that the rules forbid; the message is shown to the user."""


def get_setting(key, default):
    setting = db.session.get(SiteSetting, key)
    return default if setting is None else setting.value


def set_setting(key, value):
    setting = db.session.get(SiteSetting, key) or SiteSetting(key=key)
    old = setting.value
    setting.value = value
    db.session.add(setting)
    record("settings.changed", target=key, old=old, new=value)


def self_registration_open():
    return bool(get_setting(SELF_REGISTRATION, current_app.config["LMS_SELF_REGISTRATION"]))


def search_users(text=None, role=None, status=None):
    query = select(User).order_by(User.name, User.id)
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(or_(User.email.ilike(pattern), User.name.ilike(pattern)))
    if role in ROLES:
        query = query.where(User.role == role)
    if status in ("active", "inactive"):
        query = query.where(User.active.is_(status == "active"))
    return query


def grantable_roles(actor):
    """Nobody grants a role above their own."""
    return ROLES[: actor.rank + 1]


def check_can_grant(actor, role):
    if role not in grantable_roles(actor):
        raise AdminRuleError(_("You cannot grant a role above your own."))


def ensure_another_active_admin(user):
    """Refuse to leave the site without an active administrator."""
    others = db.session.scalar(
        select(func.count()).select_from(
            select(User.id)
            .where(User.role == ADMIN, User.active.is_(True), User.id != user.id)
            .with_for_update()
            .subquery()
        )
    )
    if not others:
        raise AdminRuleError(_("%(name)s is the last active administrator.", name=user.name))


def change_role(actor, user, role):
    if role == user.role:
        return
    check_can_grant(actor, role)
    if user.role == ADMIN and user.active:
        ensure_another_active_admin(user)
    record("user.role_changed", target=user.email, actor=actor, old=user.role, new=role)
    user.role = role


def update_user(actor, user, name, email, locale, role):
    email = accounts.normalize_email(email)
    if email != user.email and accounts.email_taken(email):
        raise AdminRuleError(_("Another account already uses %(email)s.", email=email))
    changes = {}
    for attribute, value in (("name", name.strip()), ("email", email), ("locale", locale or None)):
        if getattr(user, attribute) != value:
            changes[attribute] = value
            setattr(user, attribute, value)
    change_role(actor, user, role)
    if changes:
        record("user.updated", target=user.email, actor=actor, **changes)


def deactivate(actor, user):
    if not user.active:
        return
    if user.role == ADMIN:
        ensure_another_active_admin(user)
    user.active = False
    user.session_version += 1
    record("user.deactivated", target=user.email, actor=actor)


def reactivate(actor, user):
    if user.active:
        return
    user.active = True
    record("user.reactivated", target=user.email, actor=actor)


@dataclass
class ImportRow:
    line: int
    email: str
    name: str
    role: str
    language: str
    errors: list = field(default_factory=list)


@dataclass
class ImportPreview:
    rows: list
    problems: list  # (line, message) for the file as a whole and for every bad row

    @property
    def ok(self):
        return bool(self.rows) and not self.problems


def preview_users_csv(actor, text):
    """Check every row of a users CSV (email, name, role, language); import nothing."""
    cells, problems = read_rows(text, CSV_COLUMNS, required=("email", "name"))
    rows = []
    for cell in cells:
        role = cell.get("role", "").lower()
        rows.append(
            ImportRow(
                line=cell["line"],
                email=cell["email"].lower(),
                name=cell["name"],
                role=ROLE_ALIASES.get(role, role) or ROLES[0],
                language=cell.get("language", "").lower(),
            )
        )
    existing = set(db.session.scalars(select(User.email).where(User.email.in_({row.email for row in rows}))))
    first_line_of = {}
    for row in rows:
        check_row(actor, row, existing, first_line_of)
        problems.extend((row.line, error) for error in row.errors)
    return ImportPreview(rows, sorted(problems, key=lambda problem: problem[0]))


def check_row(actor, row, existing, first_line_of):
    if not row.email:
        row.errors.append(_("The email is missing."))
    else:
        try:
            validate_email(row.email, check_deliverability=False)
        except EmailNotValidError:
            row.errors.append(_("%(email)s is not a valid email address.", email=row.email))
        if row.email in existing:
            row.errors.append(_("An account with %(email)s already exists.", email=row.email))
        if row.email in first_line_of:
            row.errors.append(_("%(email)s is already on line %(line)d.", email=row.email, line=first_line_of[row.email]))
        first_line_of.setdefault(row.email, row.line)
    if not row.name:
        row.errors.append(_("The name is missing."))
    elif len(row.name) > 200:
        row.errors.append(_("The name is longer than 200 characters."))
    if row.role not in ROLES:
        row.errors.append(_("Unknown role %(role)s: use trainee, instructor or admin.", role=row.role))
    elif row.role not in grantable_roles(actor):
        row.errors.append(_("You cannot grant a role above your own."))
    if row.language and row.language not in current_app.config["LMS_LANGUAGES"]:
        row.errors.append(_("Unknown language %(language)s: use en, ru or kk.", language=row.language))


def import_users(actor, preview):
    """Create the previewed users and mail each a link to choose a password."""
    if not preview.ok:
        raise AdminRuleError(_("Nothing was imported: fix the problems in the file first."))
    users = [
        accounts.create_user(row.email, row.name, role=row.role, locale=row.language, actor=actor, action="user.imported")
        for row in preview.rows
    ]
    record("users.imported", actor=actor, count=len(users))
    for user in users:
        accounts.send_password_link(user, welcome=True)
    return users
