from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from lms.auth.models import ROLES


def role_required(role):
    """Allow signed-in users whose site role ranks at least `role`; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.rank < ROLES.index(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
