from lms.auth.models import utcnow
from lms.extensions import db

TRAINEE, INSTRUCTOR = "trainee", "instructor"
COURSE_ROLES = (TRAINEE, INSTRUCTOR)
ACTIVE, WITHDRAWN = "active", "withdrawn"


class CourseGroup(db.Model):
    """A group inside a course, so that instructors can follow their own learners."""

    __tablename__ = "course_groups"
    __table_args__ = (db.UniqueConstraint("course_id", "name"),)

    id = db.Column(db.Integer, primary_key=True)
    course_id = db.Column(db.Integer, db.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    name = db.Column(db.String(100), nullable=False)


class Enrollment(db.Model):
    """A person in a course. Withdrawing keeps the row (and its progress) for re-enrollment."""

    __tablename__ = "enrollments"
    __table_args__ = (db.UniqueConstraint("user_id", "course_id"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    course_id = db.Column(db.Integer, db.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    role = db.Column(db.String(20), nullable=False, default=TRAINEE)
    status = db.Column(db.String(20), nullable=False, default=ACTIVE, index=True)
    group_id = db.Column(db.Integer, db.ForeignKey("course_groups.id", ondelete="SET NULL"), index=True)
    enrolled_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    withdrawn_at = db.Column(db.DateTime)
    last_activity_at = db.Column(db.DateTime, index=True)

    user = db.relationship("User")
    course = db.relationship("Course")
    group = db.relationship("CourseGroup")

    @property
    def is_active(self):
        return self.status == ACTIVE
