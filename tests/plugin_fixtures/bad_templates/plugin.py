"""Keeps a template outside templates/bad_templates/, where it could shadow a core page."""
from lms.plugin_api import Blueprint, hookimpl

bp = Blueprint("bad_templates", __name__, template_folder="templates")


@hookimpl
def lms_blueprints():
    return [bp]
