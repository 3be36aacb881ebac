"""Implements a hook that the contract does not have (a typo of lms_blueprints)."""
from lms.plugin_api import hookimpl


@hookimpl
def lms_blueprint():
    return []
