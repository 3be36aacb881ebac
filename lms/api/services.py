"""Personal API tokens: made, checked and revoked here; only their hashes are stored."""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update

from lms.api.models import ApiToken
from lms.audit.services import record
from lms.auth.models import User, utcnow
from lms.extensions import db

PREFIX = "klsm_"
# last_used_at is a hint, not a log: writing it at most this often keeps reads from writing.
TOUCH_INTERVAL = timedelta(minutes=1)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user, name, actor=None):
    """Make a token for `user`; the plain token is returned here once and never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken(user=user, name=name, token_hash=hash_token(token))
    db.session.add(api_token)
    db.session.flush()
    record("api_token.created", target=user.email, actor=actor, token_id=api_token.id, name=name)
    return api_token, token


def authenticate(token):
    """The user holding this unrevoked token, or None (active or not: the caller decides).

    The token is found by its hash, so the stored value never meets the given one. Marking
    it used comes first in the transaction, so that SQLite takes its write lock straight
    away instead of upgrading a read lock (which can fail under concurrent writers).
    """
    if not token or not token.startswith(PREFIX):
        return None
    digest, now = hash_token(token), utcnow()
    db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.token_hash == digest,
            ApiToken.revoked.is_(False),
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_INTERVAL),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return db.session.scalar(
        select(User).join(ApiToken, ApiToken.user_id == User.id).where(ApiToken.token_hash == digest, ApiToken.revoked.is_(False))
    )


def tokens_of(user):
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all()


def revoke(api_token, actor=None):
    """Revoke for good; returns False when it already was."""
    if api_token.revoked:
        return False
    api_token.revoked = True
    record("api_token.revoked", target=api_token.user.email, actor=actor, token_id=api_token.id, name=api_token.name)
    return True
