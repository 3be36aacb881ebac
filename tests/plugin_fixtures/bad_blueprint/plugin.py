"""Its blueprint is not named after the plugin (`bad_blueprint`)."""
from lms.plugin_api import Blueprint, hookimpl

bp = Blueprint("someone_else", __name__)


@hookimpl
def lms_blueprints():
    return [bp]
