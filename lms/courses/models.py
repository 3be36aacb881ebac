from flask_babel import get_locale, lazy_gettext as _l

from lms.auth.models import utcnow
from lms.extensions import db

OPEN, BY_KEY, STAFF_ONLY = "open", "key", "staff"
ENROLLMENT_POLICIES = (OPEN, BY_KEY, STAFF_ONLY)
POLICY_LABELS = {OPEN: _l("Open to everyone"), BY_KEY: _l("With an enrollment key"), STAFF_ONLY: _l("Enrolled by staff")}
CATEGORY_LABELS = {
    "foundations": _l("Foundations"),
    "community": _l("Community and interethnic mediation"),
    "schools": _l("Schools"),
    "workshops": _l("Workshops"),
    "general": _l("General"),
}


def localized(texts, fallback_order=("en", "ru", "kk")):
    """The text for the current language, else the first language that has one."""
    if not texts:
        return ""
    language = str(get_locale())
    if texts.get(language):
        return texts[language]
    return next((texts[code] for code in fallback_order if texts.get(code)), next(iter(texts.values()), ""))


class Course(db.Model):
    __tablename__ = "courses"

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(100), nullable=False, unique=True)
    version = db.Column(db.String(40), nullable=False, default="0.1.0")
    title = db.Column(db.JSON, nullable=False)  # {"en": ..., "ru": ..., "kk": ...}
    description = db.Column(db.JSON, nullable=False, default=dict)
    category = db.Column(db.String(40), nullable=False, default="general", index=True)
    hours = db.Column(db.Float, nullable=False, default=0)
    languages = db.Column(db.JSON, nullable=False, default=list)
    enrollment_policy = db.Column(db.String(10), nullable=False, default=OPEN)
    enrollment_key = db.Column(db.String(100))
    published = db.Column(db.Boolean, nullable=False, default=False, index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    modules = db.relationship(
        "Module", back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )
    activities = db.relationship(
        "Activity", back_populates="course", order_by="Activity.position", cascade="all, delete-orphan",
        overlaps="activities",
    )

    def __repr__(self):
        return f"<Course {self.slug}>"

    @property
    def display_title(self):
        return localized(self.title)

    @property
    def display_description(self):
        return localized(self.description)


class Module(db.Model):
    __tablename__ = "course_modules"
    __table_args__ = (db.UniqueConstraint("course_id", "slug"),)

    id = db.Column(db.Integer, primary_key=True)
    course_id = db.Column(db.Integer, db.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    slug = db.Column(db.String(100), nullable=False)
    title = db.Column(db.JSON, nullable=False)
    position = db.Column(db.Integer, nullable=False, default=0)
    archived = db.Column(db.Boolean, nullable=False, default=False)

    course = db.relationship("Course", back_populates="modules")
    activities = db.relationship("Activity", back_populates="module", order_by="Activity.position", overlaps="activities")

    @property
    def display_title(self):
        return localized(self.title)


class Activity(db.Model):
    """One step of a course. `type_key` names the ActivityType that renders and grades it;
    `content` holds what that type loaded from the package, per language."""

    __tablename__ = "activities"
    __table_args__ = (db.UniqueConstraint("course_id", "slug"),)

    id = db.Column(db.Integer, primary_key=True)
    course_id = db.Column(db.Integer, db.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    module_id = db.Column(db.Integer, db.ForeignKey("course_modules.id", ondelete="CASCADE"), nullable=False, index=True)
    type_key = db.Column(db.String(60), nullable=False)
    slug = db.Column(db.String(100), nullable=False)
    title = db.Column(db.JSON, nullable=False)
    source_file = db.Column(db.String(255))
    content = db.Column(db.JSON, nullable=False, default=dict)
    settings = db.Column(db.JSON, nullable=False, default=dict)
    required = db.Column(db.Boolean, nullable=False, default=True)
    weight = db.Column(db.Float, nullable=False, default=1)
    prerequisites = db.Column(db.JSON, nullable=False, default=list)  # slugs of activities in this course
    position = db.Column(db.Integer, nullable=False, default=0)
    archived = db.Column(db.Boolean, nullable=False, default=False)
    revision = db.Column(db.Integer, nullable=False, default=1)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    course = db.relationship("Course", back_populates="activities", overlaps="activities")
    module = db.relationship("Module", back_populates="activities", overlaps="activities,course")

    def __repr__(self):
        return f"<Activity {self.slug} ({self.type_key})>"

    @property
    def display_title(self):
        return localized(self.title)


class ActivityRevision(db.Model):
    """Every version of an activity's content, whether it came from a package or the browser."""

    __tablename__ = "activity_revisions"

    id = db.Column(db.Integer, primary_key=True)
    activity_id = db.Column(db.Integer, db.ForeignKey("activities.id", ondelete="CASCADE"), nullable=False, index=True)
    revision = db.Column(db.Integer, nullable=False)
    title = db.Column(db.JSON, nullable=False)
    content = db.Column(db.JSON, nullable=False)
    source = db.Column(db.String(20), nullable=False)  # "package" or "browser"
    package_version = db.Column(db.String(40))
    author_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    author = db.relationship("User")
