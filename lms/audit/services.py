"""Writing and reading the audit log."""
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.extensions import db


def record(action, target=None, actor=None, **details):
    """Add an audit entry to the current transaction; the caller commits it with the change.

    The actor defaults to the signed-in user and the address to the request's.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    entry = AuditEntry(
        action=action,
        target=str(target) if target is not None else None,
        actor=actor,
        details=details,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def search(action=None, actor_email=None, target=None, since=None, until=None):
    """A query for the audit page, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_email:
        query = query.join(AuditEntry.actor).where(User.email.ilike(f"%{actor_email.strip()}%"))
    if target:
        query = query.where(AuditEntry.target.ilike(f"%{target.strip()}%"))
    if since:
        query = query.where(AuditEntry.created_at >= since)
    if until:
        query = query.where(AuditEntry.created_at < until)
    return query


def known_actions():
    return db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
