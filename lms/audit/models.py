from lms.auth.models import utcnow
from lms.extensions import db


class AuditEntry(db.Model):
    """Who did what, when (UTC) and from where. Written in the same transaction as the change."""

    __tablename__ = "audit_log"

    id = db.Column(db.Integer, primary_key=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action = db.Column(db.String(64), nullable=False, index=True)
    target = db.Column(db.String(255))
    details = db.Column(db.JSON, nullable=False, default=dict)
    ip_address = db.Column(db.String(45))

    actor = db.relationship("User", lazy="joined")
