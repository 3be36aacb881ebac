"""The plugin contract: every hook reaches the running app, and every rule is enforced at start-up.

Plugins are found through `importlib.metadata` entry points in the `lms.plugins`
group. The tests install one by writing a minimal `*.dist-info` folder into a
temporary directory and putting that directory on `sys.path`.
"""
import ast
import importlib
from pathlib import Path

import flask_migrate
import pytest

from lms.contributions import ActivityType, CompletionCriterion, CourseFileHandler, GradingKind
from lms.extensions import db
from lms.plugins import ENTRY_POINT_GROUP, PluginError, installed
from lms.auth.models import User
from tests.conftest import PASSWORD, AuthActions, make_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = "tests.example_plugin.plugin"


def install(tmp_path, monkeypatch, distribution, version, entry_points):
    """Make `entry_points` ({name: module}) visible as an installed distribution."""
    site = tmp_path / "site"
    dist_info = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
    lines = "".join(f"{name} = {module}\n" for name, module in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site


def build(tmp_path, plugins, **overrides):
    folder = tmp_path / "instance"
    folder.mkdir(exist_ok=True)
    return make_app(folder, f"sqlite:///{folder / 'plugins.sqlite3'}", LMS_PLUGINS=plugins, **overrides)


def sign_in(app, client, role="trainee"):
    """A user in the app's own database (apps a test builds get ordinary sessions), signed in."""
    with app.app_context():
        user = User(email=f"{role}@example.kz", name=f"Example {role.title()}", role=role)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        email = user.email
    response = AuthActions(client).login(email)
    assert response.status_code == 302, response.get_data(as_text=True)


def dispose(app):
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def example_installed(tmp_path, monkeypatch):
    install(tmp_path, monkeypatch, "kelisim-example", "1.2.3", {"example": EXAMPLE})
    yield
    importlib.invalidate_caches()


@pytest.fixture
def example_app(tmp_path, example_installed):
    app = build(tmp_path, ["example"])
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    dispose(app)


# --- every hook reaches the running app -------------------------------------------


def test_example_plugin_is_discovered_through_its_entry_point(example_installed):
    entry_point = installed()["example"]
    assert entry_point.value == EXAMPLE
    assert entry_point.dist.version == "1.2.3"


def test_blueprint_page_renders_the_plugins_template(example_app):
    assert "example" in example_app.blueprints
    response = example_app.test_client().get("/example/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Example plugin page" in html
    assert 'data-template="example/page.html"' in html


def test_navigation_item_appears_for_a_signed_in_user(example_app):
    client = example_app.test_client()
    assert "/example/" not in client.get("/account/login").get_data(as_text=True)
    sign_in(example_app, client)
    html = client.get("/account/profile").get_data(as_text=True)
    assert '<a href="/example/"' in html
    assert "Example reflections" in html


def test_dashboard_panel_appears_on_the_dashboard(example_app):
    client = example_app.test_client()
    sign_in(example_app, client)
    response = client.get("/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Example panel" in html
    assert 'data-template="example/panel.html"' in html
    assert "Reflect on your week" in html
    assert "Your account" in html  # the core's own panel is still there


def test_activity_type_and_completion_criterion_are_registered(example_app):
    registry = example_app.extensions["lms_plugins"]
    reflection = registry.activity_types["example.reflection"]
    assert issubclass(reflection, ActivityType)
    assert registry.activity_types_by_plugin["example"] == [reflection]
    criterion = registry.completion_criteria["example.reflected"]
    assert issubclass(criterion, CompletionCriterion)


def test_grading_kind_is_registered_beside_the_cores(example_app):
    kinds = example_app.extensions["lms_plugins"].grading_kinds
    assert list(kinds) == ["quiz.essay", "example.reflection"]
    assert issubclass(kinds["example.reflection"], GradingKind)


def test_course_file_handler_claims_its_files_only(example_app, tmp_path):
    registry = example_app.extensions["lms_plugins"]
    handler = registry.file_handler_for("reflections/week1.txt")
    assert isinstance(handler, CourseFileHandler)
    assert handler.pattern == "reflections/*.txt"
    assert registry.file_handler_for("lessons/x.md").pattern == "*.md"  # the core's lessons
    assert registry.file_handler_for("reflections/week1.pdf") is None
    prompt = tmp_path / "week1.txt"
    prompt.write_text("What surprised you this week?\n", encoding="utf-8")
    assert handler.validate(prompt, tmp_path) == []
    assert handler.load(prompt, tmp_path) == "What surprised you this week?\n"


def test_cli_group_runs_under_flask_lms(example_app):
    result = example_app.test_cli_runner().invoke(args=["lms", "example", "hello", "--name", "Aigerim"])
    assert result.exit_code == 0, result.output
    assert "Hello, Aigerim, from the example plugin." in result.output
    assert "Running in the app: True" in result.output


def test_flask_lms_plugins_lists_name_version_and_activity_types(example_app):
    result = example_app.test_cli_runner().invoke(args=["lms", "plugins"])
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line for line in result.output.splitlines()}
    assert set(lines) == {"core", "example"}
    assert "1.2.3" in lines["example"]
    assert "example.reflection" in lines["example"]


# --- enabling ---------------------------------------------------------------------


def test_empty_lms_plugins_enables_no_plugin(tmp_path, example_installed):
    app = build(tmp_path, [])
    try:
        registry = app.extensions["lms_plugins"]
        assert registry.plugins == []
        assert "example" not in app.blueprints
        assert "example.reflection" not in registry.activity_types
        result = app.test_cli_runner().invoke(args=["lms", "plugins"])
        assert result.exit_code == 0, result.output
        assert [line.split("\t")[0] for line in result.output.splitlines()] == ["core"]
    finally:
        dispose(app)


def test_unset_lms_plugins_enables_every_installed_plugin(tmp_path, example_installed):
    app = build(tmp_path, None)
    try:
        names = [plugin.name for plugin in app.extensions["lms_plugins"].plugins]
        assert "example" in names
        assert names == sorted(installed())
        assert "example" in app.blueprints
    finally:
        dispose(app)


# --- every rule fails start-up with a message naming the plugin and the rule ------------


def start_with(tmp_path, monkeypatch, name):
    install(tmp_path, monkeypatch, f"kelisim-{name}", "0.1", {name: f"tests.plugin_fixtures.{name}.plugin"})
    with pytest.raises(PluginError) as error:
        app = build(tmp_path, [name])
        dispose(app)
    importlib.invalidate_caches()
    return str(error.value)


def test_blueprint_must_be_named_after_the_plugin(tmp_path, monkeypatch):
    message = start_with(tmp_path, monkeypatch, "bad_blueprint")
    assert "'bad_blueprint'" in message
    assert "'someone_else'" in message
    assert "must be named after the plugin" in message


def test_templates_must_live_under_templates_plugin(tmp_path, monkeypatch):
    message = start_with(tmp_path, monkeypatch, "bad_templates")
    assert "'bad_templates'" in message
    assert "templates/bad_templates/" in message
    assert "admin/users.html" in message
    assert "fine.html" not in message


def test_tables_must_carry_the_plugin_prefix(tmp_path, monkeypatch):
    try:
        message = start_with(tmp_path, monkeypatch, "bad_table")
    finally:
        # The mapper stays in db.Model's registry for the whole run; keep its table out
        # of the metadata so that nothing else (create_all, migration checks) sees it.
        table = db.metadata.tables.get("unprefixed_plugin_fixture_things")
        if table is not None:
            db.metadata.remove(table)
    assert "'bad_table'" in message
    assert "'unprefixed_plugin_fixture_things'" in message
    assert "prefixed with 'bad_table_'" in message


def test_hooks_outside_the_contract_are_refused(tmp_path, monkeypatch):
    message = start_with(tmp_path, monkeypatch, "bad_hook")
    assert "'bad_hook'" in message
    assert "not in the contract" in message
    assert "lms_blueprint" in message


def test_hook_arguments_must_match_the_contract(tmp_path, monkeypatch):
    message = start_with(tmp_path, monkeypatch, "bad_signature")
    assert "'bad_signature'" in message
    assert "does not match the contract" in message


def test_enabled_plugin_must_be_installed(tmp_path):
    with pytest.raises(PluginError) as error:
        app = build(tmp_path, ["not_installed"])
        dispose(app)
    message = str(error.value)
    assert "'not_installed'" in message
    assert "not installed" in message


# --- plugins import only lms.plugin_api ---------------------------------------------


def plugin_modules():
    folders = [ROOT / "plugins", ROOT / "tests" / "example_plugin"]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*.py"))


def forbidden_imports(path):
    """Imports of `lms` other than `lms.plugin_api`, as (line, text)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (alias.name == "lms" or alias.name.startswith("lms.")) and alias.name != "lms.plugin_api":
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "lms":
                found.extend(
                    (node.lineno, f"from lms import {alias.name}") for alias in node.names if alias.name != "plugin_api"
                )
            elif node.module.startswith("lms.") and node.module != "lms.plugin_api":
                found.append((node.lineno, f"from {node.module} import ..."))
    return found


def test_plugins_import_only_the_plugin_api():
    modules = plugin_modules()
    assert any(path.parent.name == "example_plugin" for path in modules)
    problems = {
        str(path.relative_to(ROOT)): found for path in modules if (found := forbidden_imports(path))
    }
    assert problems == {}


def test_the_import_check_catches_core_imports(tmp_path):
    module = tmp_path / "leaky.py"
    module.write_text(
        "import lms.auth.models\nfrom lms import db, plugin_api\nfrom lms.extensions import db\n"
        "from lms.plugin_api import hookimpl\nimport lms.plugin_api\nfrom . import views\n"
    )
    assert forbidden_imports(module) == [
        (1, "import lms.auth.models"),
        (2, "from lms import db"),
        (3, "from lms.extensions import ..."),
    ]


def test_example_plugin_uses_every_hook_in_the_contract():
    from lms import hookspecs

    contract = {name for name in vars(hookspecs) if name.startswith("lms_")}
    module = importlib.import_module(EXAMPLE)
    implemented = {name for name in vars(module) if name.startswith("lms_")}
    assert implemented == contract

