"""The only module plugins import from `lms`: a stable facade over the core.

Anything a plugin needs is re-exported here, so the core can move its internals
without breaking plugins (the model is CKAN's `plugins/toolkit.py`).
"""
import pluggy
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from flask_login import current_user, login_required

from lms.audit.services import record as audit
from lms.auth.decorators import role_required
from lms.contributions import (
    ActivityType,
    CompletionCriterion,
    CourseFileHandler,
    DashboardPanel,
    GradingItem,
    GradingKind,
    NavItem,
)
from lms.database import writes
from lms.extensions import db

hookimpl = pluggy.HookimplMarker("lms")

__all__ = [
    "ActivityType",
    "Blueprint",
    "CompletionCriterion",
    "CourseFileHandler",
    "DashboardPanel",
    "GradingItem",
    "GradingKind",
    "NavItem",
    "abort",
    "audit",
    "current_user",
    "db",
    "flash",
    "gettext",
    "hookimpl",
    "lazy_gettext",
    "login_required",
    "ngettext",
    "redirect",
    "render_template",
    "request",
    "role_required",
    "url_for",
    "writes",
]
