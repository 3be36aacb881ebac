"""`flask lms ...`: accounts, demo data and plugins from the command line.

CLI commands run in the session app with the test's rolled-back session, so what
they write is visible to the test and gone afterwards.
"""
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.cli import DEMO_ACCOUNTS, DEMO_PASSWORD
from lms.extensions import db
from tests.conftest import PASSWORD, find_user, user_count




def test_users_create_with_password(app, runner):
    result = runner.invoke(
        args=["lms", "users", "create", "Dana@Example.kz", "--name", "Dana Omarova", "--role", "instructor",
              "--locale", "kk", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert "Created instructor dana@example.kz." in result.output
    user = find_user(app, "dana@example.kz")
    assert user is not None
    assert (user.name, user.role, user.locale, user.active) == ("Dana Omarova", "instructor", "kk", True)
    assert user.check_password(PASSWORD)
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target == "dana@example.kz")).all()
    assert "user.created_cli" in actions


def test_users_create_defaults_to_trainee(app, runner):
    result = runner.invoke(args=["lms", "users", "create", "erlan@example.kz", "--name", "Erlan", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert find_user(app, "erlan@example.kz").role == "trainee"


def test_users_create_refuses_a_short_password(app, runner):
    result = runner.invoke(args=["lms", "users", "create", "short@example.kz", "--name", "Short", "--password", "abc123"])
    assert result.exit_code != 0
    assert "Use at least 10 characters." in result.output
    assert find_user(app, "short@example.kz") is None


def test_users_create_refuses_a_common_password(app, runner):
    result = runner.invoke(
        args=["lms", "users", "create", "common@example.kz", "--name", "Common", "--password", "qwertyuiop"]
    )
    assert result.exit_code != 0
    assert "too common" in result.output
    assert find_user(app, "common@example.kz") is None


def test_users_create_refuses_a_duplicate_email(app, runner, create_user):
    existing = create_user(email="taken@example.kz", name="First Owner")
    before = user_count(app)
    result = runner.invoke(
        args=["lms", "users", "create", "TAKEN@example.kz", "--name", "Second", "--password", PASSWORD]
    )
    assert result.exit_code != 0
    assert "An account with taken@example.kz already exists." in result.output
    assert user_count(app) == before
    assert find_user(app, "taken@example.kz").name == existing.name


def test_users_create_prompts_for_the_password_twice(app, runner):
    result = runner.invoke(
        args=["lms", "users", "create", "prompted@example.kz", "--name", "Prompted"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") >= 1
    assert "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output  # hidden input
    assert find_user(app, "prompted@example.kz").check_password(PASSWORD)


def test_users_create_prompt_refuses_a_weak_password(app, runner):
    result = runner.invoke(
        args=["lms", "users", "create", "weak@example.kz", "--name", "Weak"], input="short\nshort\n"
    )
    assert result.exit_code != 0
    assert "Use at least 10 characters." in result.output
    assert find_user(app, "weak@example.kz") is None


def test_users_list(runner, create_user):
    create_user(role="admin", email="zhanna@example.kz", name="Zhanna Admin", locale="ru")
    create_user(role="trainee", email="asel@example.kz", name="Asel Trainee", active=False)
    result = runner.invoke(args=["lms", "users", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "zhanna@example.kz\tZhanna Admin\tadmin\tru\tactive" in lines
    assert "asel@example.kz\tAsel Trainee\ttrainee\t-\tinactive" in lines
    assert lines.index("asel@example.kz\tAsel Trainee\ttrainee\t-\tinactive") < lines.index(
        "zhanna@example.kz\tZhanna Admin\tadmin\tru\tactive"
    )  # by email

    admins = runner.invoke(args=["lms", "users", "list", "--role", "admin"]).output
    assert "zhanna@example.kz" in admins
    assert "asel@example.kz" not in admins


def test_demo_is_idempotent_and_prints_the_sign_ins(app, runner):
    first = runner.invoke(args=["lms", "demo"])
    assert first.exit_code == 0, first.output
    count = user_count(app)
    second = runner.invoke(args=["lms", "demo"])
    assert second.exit_code == 0, second.output
    assert user_count(app) == count
    for output in (first.output, second.output):
        assert DEMO_PASSWORD in output
        for email, _name, role, _locale in DEMO_ACCOUNTS:
            assert email in output
    for email, name, role, locale in DEMO_ACCOUNTS:
        user = find_user(app, email)
        assert (user.name, user.role, user.locale) == (name, role, locale)
        assert user.check_password(DEMO_PASSWORD)


def test_plugins_on_the_plain_app(runner):
    result = runner.invoke(args=["lms", "plugins"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1
    name, _version, types = lines[0].split("\t")
    assert name == "core"
    assert types.startswith("activity types:")
