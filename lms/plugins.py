"""Discovery, enabling and validation of plugins.

Plugins are found through the `lms.plugins` entry-point group and enabled by name
with LMS_PLUGINS. Every rule of the contract is checked at start-up, and a plugin
that breaks one stops the app with a message naming the plugin and the rule.
"""
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import pluggy
from flask import current_app

from lms import core_plugin, hookspecs
from lms.extensions import db, migrate

ENTRY_POINT_GROUP = "lms.plugins"
CORE = "core"


class PluginError(RuntimeError):
    """A plugin is missing or breaks a rule of the plugin contract."""


@dataclass(frozen=True)
class Plugin:
    name: str
    version: str
    module: object

    @property
    def package(self):
        """The package the plugin's code lives in: its tables and templates are checked there."""
        return self.module.__package__ or self.module.__name__

    @property
    def folder(self):
        return Path(self.module.__file__).parent


class PluginRegistry:
    """What the enabled plugins contribute, collected once at start-up."""

    def __init__(self, manager, plugins):
        self.manager = manager
        self.plugins = plugins
        self.activity_types = {}
        self.activity_types_by_plugin = {plugin.name: [] for plugin in plugins}
        self.completion_criteria = {}
        self.grading_kinds = {}
        self.file_handlers = []
        self.cli_commands = []
        hook = manager.hook
        for plugin_name, types in contributions(hook.lms_activity_types):
            for activity_type in types:
                if activity_type.key in self.activity_types:
                    raise PluginError(
                        f"Plugin {plugin_name!r}: activity type {activity_type.key!r} "
                        "is already provided by another plugin"
                    )
                self.activity_types[activity_type.key] = activity_type
                self.activity_types_by_plugin.setdefault(plugin_name, []).append(activity_type)
        for _plugin, criteria in contributions(hook.lms_completion_criteria):
            self.completion_criteria.update({criterion.key: criterion for criterion in criteria})
        for plugin_name, kinds in contributions(hook.lms_grading_kinds):
            for kind in kinds:
                if kind.key in self.grading_kinds:
                    raise PluginError(
                        f"Plugin {plugin_name!r}: grading kind {kind.key!r} is already provided by another plugin"
                    )
                self.grading_kinds[kind.key] = kind
        for _plugin, handlers in contributions(hook.lms_course_file_handlers):
            self.file_handlers.extend(handlers)
        for _plugin, commands in contributions(hook.lms_cli_commands):
            self.cli_commands.extend(commands)

    def navigation(self, user):
        items = [item for items in self.manager.hook.lms_navigation_items(user=user) for item in items]
        return sorted(items, key=lambda item: item.order)

    def dashboard_panels(self, user):
        panels = [panel for panels in self.manager.hook.lms_dashboard_panels(user=user) for panel in panels]
        return sorted(panels, key=lambda panel: panel.order)

    def file_handler_for(self, relative_path):
        return next((h for h in self.file_handlers if h.matches(relative_path)), None)


def contributions(hook_caller):
    """(plugin name, returned list) for each plugin implementing a list-returning hook."""
    for impl in hook_caller.get_hookimpls():
        yield impl.plugin_name, impl.function() or []


def init_app(app):
    plugins = load_enabled(app.config["LMS_PLUGINS"])
    manager = plugin_manager(plugins)
    blueprints = collect_blueprints(manager, plugins)
    check_tables(plugins)
    registry = PluginRegistry(manager, plugins)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    add_translation_directories(app, plugins)
    app.extensions["lms_plugins"] = registry
    return registry


def installed():
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_enabled(names):
    available = installed()
    if names is None:
        names = sorted(available)
    plugins = []
    for name in names:
        if name not in available:
            raise PluginError(
                f"Plugin {name!r} is enabled in LMS_PLUGINS but not installed: "
                f"no entry point named {name!r} in the {ENTRY_POINT_GROUP!r} group"
            )
        entry_point = available[name]
        version = entry_point.dist.version if entry_point.dist else "unknown"
        plugins.append(Plugin(name=name, version=version, module=entry_point.load()))
    return plugins


def plugin_manager(plugins):
    manager = pluggy.PluginManager("lms")
    manager.add_hookspecs(hookspecs)
    manager.register(core_plugin, name=CORE)
    for plugin in plugins:
        try:
            manager.register(plugin.module, name=plugin.name)
        except pluggy.PluginValidationError as error:
            raise PluginError(f"Plugin {plugin.name!r}: a hook does not match the contract: {error}")
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginError(
            f"Plugin {manager.get_name(error.plugin)!r}: implements a hook that is not in the contract "
            f"(lms/hookspecs.py): {error}"
        )
    return manager


def collect_blueprints(manager, plugins):
    """Plugin blueprints, checked: named after the plugin, templates under templates/<plugin>/."""
    by_name = {plugin.name: plugin for plugin in plugins}
    blueprints = []
    for plugin_name, plugin_blueprints in contributions(manager.hook.lms_blueprints):
        for blueprint in plugin_blueprints:
            if plugin_name != CORE:
                check_blueprint(by_name[plugin_name], blueprint)
            blueprints.append(blueprint)
    return blueprints


def check_blueprint(plugin, blueprint):
    if blueprint.name != plugin.name:
        raise PluginError(
            f"Plugin {plugin.name!r}: blueprint {blueprint.name!r} must be named after the plugin"
        )
    if blueprint.template_folder:
        folder = Path(blueprint.root_path) / blueprint.template_folder
        strays = [
            path.relative_to(folder).as_posix()
            for path in folder.rglob("*")
            if path.is_file() and path.relative_to(folder).parts[0] != plugin.name
        ]
        if strays:
            raise PluginError(
                f"Plugin {plugin.name!r}: templates must live under templates/{plugin.name}/ "
                f"(found {', '.join(sorted(strays))})"
            )


def check_tables(plugins):
    """Plugin tables carry the plugin's prefix; core tables never point at plugin tables."""
    owner_of_table = {}
    for mapper in db.Model.registry.mappers:
        module = mapper.class_.__module__
        for plugin in plugins:
            if module == plugin.package or module.startswith(plugin.package + "."):
                for table in mapper.tables:
                    if not table.name.startswith(plugin.name + "_"):
                        raise PluginError(
                            f"Plugin {plugin.name!r}: table {table.name!r} must be "
                            f"prefixed with {plugin.name + '_'!r}"
                        )
                    owner_of_table[table.name] = plugin.name
    for table in db.metadata.tables.values():
        if table.name in owner_of_table:
            continue
        for foreign_key in table.foreign_keys:
            target = foreign_key.column.table.name
            if target in owner_of_table:
                raise PluginError(
                    f"Plugin {owner_of_table[target]!r}: core table {table.name!r} must not "
                    f"point at plugin table {target!r}"
                )


def add_translation_directories(app, plugins):
    folders = [str(plugin.folder / "translations") for plugin in plugins]
    existing = [folder for folder in folders if Path(folder).is_dir()]
    if existing:
        default = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations")
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([default, *existing])


@migrate.configure
def add_plugin_migration_branches(config):
    """Each plugin keeps its own Alembic branch in <plugin>/migrations/versions."""
    plugins = current_app.extensions["lms_plugins"].plugins
    folders = [plugin.folder / "migrations" / "versions" for plugin in plugins]
    extra = [str(folder) for folder in folders if folder.is_dir()]
    if extra:
        core = str(Path(config.get_main_option("script_location")) / "versions")
        config.set_main_option("version_locations", " ".join([core, *extra]))
    return config
