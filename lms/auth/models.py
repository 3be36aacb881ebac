from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from lms.extensions import db

TRAINEE, INSTRUCTOR, ADMIN = "trainee", "instructor", "admin"
ROLES = (TRAINEE, INSTRUCTOR, ADMIN)  # in order of rank
ROLE_LABELS = {TRAINEE: _l("Trainee"), INSTRUCTOR: _l("Instructor"), ADMIN: _l("Administrator")}


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    password_hash = db.Column(db.String(255))
    role = db.Column(db.String(20), nullable=False, default=TRAINEE, index=True)
    locale = db.Column(db.String(10))
    active = db.Column(db.Boolean, nullable=False, default=True)
    # Part of the session id: raising it signs the user out everywhere else.
    session_version = db.Column(db.Integer, nullable=False, default=1)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime)

    def __repr__(self):
        return f"<User {self.email}>"

    @property
    def is_active(self):
        return self.active

    @property
    def rank(self):
        return ROLES.index(self.role)

    @property
    def role_label(self):
        return ROLE_LABELS[self.role]

    @property
    def is_admin(self):
        return self.role == ADMIN

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)
