"""`flask --app wsgi lms ...`: accounts, plugins and demo data from the command line."""
from importlib.metadata import version

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from lms.auth import services as accounts
from lms.auth.models import ROLES, User
from lms.extensions import db
from lms.plugins import CORE

DEMO_PASSWORD = "kelisim-demo-2026"
DEMO_ACCOUNTS = (
    ("admin@kelisim.local", "Aigerim Seitkali", "admin", "en"),
    ("instructor@kelisim.local", "Dmitry Volkov", "instructor", "ru"),
    ("trainee@kelisim.local", "Nurlan Abenov", "trainee", "kk"),
    ("trainee2@kelisim.local", "Olga Kim", "trainee", "ru"),
)


def init_app(app):
    lms = AppGroup("lms", help="Kelisim administration.")
    users = AppGroup("users", help="Manage accounts.")
    users.add_command(create_user)
    users.add_command(list_users)
    lms.add_command(users)
    lms.add_command(list_plugins)
    lms.add_command(demo)
    for command in app.extensions["lms_plugins"].cli_commands:
        lms.add_command(command)
    app.cli.add_command(lms)


@click.command("create")
@with_appcontext
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", type=click.Choice(ROLES), default="trainee", show_default=True)
@click.option("--locale", type=click.Choice(["en", "ru", "kk"]), default=None)
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
def create_user(email, name, role, locale, password):
    """Create an account."""
    if accounts.email_taken(email):
        raise click.ClickException(f"An account with {accounts.normalize_email(email)} already exists.")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problems = accounts.password_problems(password)
    if problems:
        raise click.ClickException(" ".join(problems))
    user = accounts.create_user(email, name, role=role, locale=locale, password=password, action="user.created_cli")
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


@click.command("list")
@with_appcontext
@click.option("--role", type=click.Choice(ROLES), default=None)
def list_users(role):
    """List accounts."""
    query = select(User).order_by(User.email)
    if role:
        query = query.where(User.role == role)
    for user in db.session.scalars(query):
        status = "active" if user.active else "inactive"
        click.echo(f"{user.email}\t{user.name}\t{user.role}\t{user.locale or '-'}\t{status}")


@click.command("plugins")
@with_appcontext
def list_plugins():
    """List the core and the enabled plugins, their versions and the activity types each provides."""
    registry = current_app.extensions["lms_plugins"]
    rows = [(CORE, version("kelisim")), *((plugin.name, plugin.version) for plugin in registry.plugins)]
    for name, plugin_version in rows:
        types = ", ".join(t.key for t in registry.activity_types_by_plugin.get(name, [])) or "-"
        click.echo(f"{name}\t{plugin_version}\tactivity types: {types}")


@click.command("demo")
@with_appcontext
def demo():
    """Create the demo accounts (idempotent) and print how to sign in."""
    for email, name, role, locale in DEMO_ACCOUNTS:
        if not accounts.email_taken(email):
            accounts.create_user(email, name, role=role, locale=locale, password=DEMO_PASSWORD, action="user.created_cli")
    db.session.commit()
    click.echo("Demo sign-ins (password for all: %s):" % DEMO_PASSWORD)
    for email, _name, role, _locale in DEMO_ACCOUNTS:
        click.echo(f"  {role:<11} {email}")
