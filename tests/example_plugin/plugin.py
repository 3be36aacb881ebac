"""Hook implementations: one for every hook in the contract."""
import click
from flask import current_app
from flask.cli import AppGroup

from lms.plugin_api import CourseFileHandler, DashboardPanel, NavItem, hookimpl, lazy_gettext as _l

from .activities import AlwaysReflected, Reflection, ReflectionReview, load_reflection, validate_reflection
from .views import bp


example_cli = AppGroup("example", help="The example plugin's commands.")


@example_cli.command("hello")
@click.option("--name", default="world")
def hello(name):
    """Greet from the example plugin."""
    click.echo(f"Hello, {name}, from the example plugin.")
    click.echo(f"Running in the app: {'example' in current_app.blueprints}")


@hookimpl
def lms_blueprints():
    return [bp]


@hookimpl
def lms_activity_types():
    return [Reflection]


@hookimpl
def lms_completion_criteria():
    return [AlwaysReflected]


@hookimpl
def lms_navigation_items(user):
    if not user.is_authenticated:
        return []
    return [NavItem(_l("Example reflections"), "example.index", order=500)]


@hookimpl
def lms_dashboard_panels(user):
    return [DashboardPanel(_l("Example panel"), "example/panel.html", {"greeting": "Reflect on your week"}, order=500)]


@hookimpl
def lms_cli_commands():
    return [example_cli]


@hookimpl
def lms_course_file_handlers():
    return [CourseFileHandler("reflections/*.txt", validate=validate_reflection, load=load_reflection)]


@hookimpl
def lms_grading_kinds():
    return [ReflectionReview]
