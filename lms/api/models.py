from lms.auth.models import utcnow
from lms.extensions import db


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is kept: the token itself is shown once, at creation."""

    __tablename__ = "api_tokens"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name = db.Column(db.String(100), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_used_at = db.Column(db.DateTime)
    revoked = db.Column(db.Boolean, nullable=False, default=False)

    user = db.relationship("User")

    def __repr__(self):
        return f"<ApiToken {self.id} {self.name}>"
