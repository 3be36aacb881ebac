from flask_babel import lazy_gettext as _l

from lms.auth.models import utcnow
from lms.extensions import db

NOT_STARTED, IN_PROGRESS, COMPLETED, PASSED, FAILED = "not_started", "in_progress", "completed", "passed", "failed"
STATUSES = (NOT_STARTED, IN_PROGRESS, COMPLETED, PASSED, FAILED)
DONE = (COMPLETED, PASSED)
STATUS_LABELS = {
    NOT_STARTED: _l("Not started"),
    IN_PROGRESS: _l("In progress"),
    COMPLETED: _l("Completed"),
    PASSED: _l("Passed"),
    FAILED: _l("Failed"),
}


class Progress(db.Model):
    """One row per enrollment and activity, written only by lms.progress.services.record."""

    __tablename__ = "progress"
    __table_args__ = (db.UniqueConstraint("enrollment_id", "activity_id"),)

    id = db.Column(db.Integer, primary_key=True)
    enrollment_id = db.Column(db.Integer, db.ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False, index=True)
    activity_id = db.Column(db.Integer, db.ForeignKey("activities.id", ondelete="CASCADE"), nullable=False, index=True)
    status = db.Column(db.String(20), nullable=False, default=NOT_STARTED)
    score = db.Column(db.Float)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    time_spent_seconds = db.Column(db.Integer, nullable=False, default=0)
    started_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    completed_at = db.Column(db.DateTime)

    @property
    def done(self):
        return self.status in DONE
