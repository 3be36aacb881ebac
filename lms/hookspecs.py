"""The plugin contract: every hook a plugin may implement.

A plugin is a module registered under the `lms.plugins` entry-point group whose
functions are marked with `lms.plugin_api.hookimpl` and named after the hooks below.
The core implements these hooks itself (`lms.core_plugin`), so nothing is special-cased.
Hooks that return a list are called on every plugin and their lists are joined.
"""
import pluggy

hookspec = pluggy.HookspecMarker("lms")


@hookspec
def lms_blueprints():
    """Return Flask blueprints to register.

    Each blueprint must be named after the plugin and keep its templates under
    `templates/<plugin>/`, so that plugins never shadow each other's pages.
    """


@hookspec
def lms_activity_types():
    """Return `ActivityType` subclasses, each with a unique `key` such as `roleplay.scenario`."""


@hookspec
def lms_completion_criteria():
    """Return `CompletionCriterion` subclasses that decide whether an enrollment is complete."""


@hookspec
def lms_navigation_items(user):
    """Return `NavItem`s for the main navigation as seen by `user` (anonymous or signed in)."""


@hookspec
def lms_dashboard_panels(user):
    """Return `DashboardPanel`s to show on `user`'s dashboard."""


@hookspec
def lms_cli_commands():
    """Return click commands or groups to add under `flask lms`.

    Use `flask.cli.AppGroup` (or `with_appcontext`) so that commands run inside the app.
    """


@hookspec
def lms_course_file_handlers():
    """Return `CourseFileHandler`s: which course-package files (by glob) this plugin reads."""


@hookspec
def lms_grading_kinds():
    """Return `GradingKind` subclasses, each with a unique `key` such as `roleplay.performance`.

    The grading queue lists the pending items of every kind for the courses a person teaches.
    """
