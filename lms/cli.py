"""`flask --app wsgi lms ...`: accounts, plugins and demo data from the command line."""
from importlib.metadata import version
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from lms.api import services as api_tokens
from lms.api.models import ApiToken
from lms.auth import services as accounts
from lms.courses import packages
from lms.courses.models import BY_KEY, Course
from lms.enrollments.models import INSTRUCTOR
from lms.enrollments.services import enroll
from lms.auth.models import ROLES, User
from lms.extensions import db
from lms.plugins import CORE
from lms.questions import services as bank
from lms.quizzes import gift
from lms.quizzes import services as quiz_services

DEMO_PASSWORD = "kelisim-demo-2026"
DEMO_ENROLLMENT_KEY = "friendship-2026"
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
    lms.add_command(courses)
    lms.add_command(tokens)
    lms.add_command(quizzes)
    lms.add_command(questions)
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
    """Create the demo accounts and load the courses in courses/ (idempotent); print how to sign in."""
    for email, name, role, locale in DEMO_ACCOUNTS:
        if not accounts.email_taken(email):
            accounts.create_user(email, name, role=role, locale=locale, password=DEMO_PASSWORD, action="user.created_cli")
    db.session.commit()
    registry = current_app.extensions["lms_plugins"]
    instructor = accounts.find_user(DEMO_ACCOUNTS[1][0])
    for folder in sorted(Path(current_app.config["LMS_COURSES_PATH"]).glob(f"*/{packages.MANIFEST}")):
        try:
            report = packages.import_package(folder.parent, registry)
        except packages.PackageError as error:
            raise click.ClickException(f"{folder.parent}:\n{error}")
        enroll(instructor, report.course, role=INSTRUCTOR)
        if report.course.enrollment_policy == BY_KEY and not report.course.enrollment_key:
            report.course.enrollment_key = DEMO_ENROLLMENT_KEY
        db.session.commit()
        click.echo(next(report.lines()))
    click.echo("Demo sign-ins (password for all: %s):" % DEMO_PASSWORD)
    for email, _name, role, _locale in DEMO_ACCOUNTS:
        click.echo(f"  {role:<11} {email}")
    click.echo(f"Enrollment key of the demo courses that need one: {DEMO_ENROLLMENT_KEY}")


courses = AppGroup("courses", help="Course packages: validate, import, list, export.")


@courses.command("validate")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def validate_course(path):
    """Print every problem of the package at PATH as file:line: message."""
    _spec, problems = packages.read_package(path, current_app.extensions["lms_plugins"], current_app.config["LMS_LANGUAGES"])
    for problem in problems:
        click.echo(str(problem))
    if problems:
        raise SystemExit(1)
    click.echo(f"{path}: OK")


@courses.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_course(path):
    """Import or update the course at PATH; a package with any problem changes nothing."""
    try:
        report = packages.import_package(path, current_app.extensions["lms_plugins"])
    except packages.PackageError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1)
    for line in report.lines():
        click.echo(line)


@courses.command("list")
def list_courses():
    """List the courses with their versions."""
    for course in db.session.scalars(select(Course).order_by(Course.slug)):
        state = "published" if course.published else "draft"
        click.echo(f"{course.slug}\t{course.version}\t{state}\t{course.title.get('en', '')}")


@courses.command("export")
@click.argument("slug")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_course(slug, directory):
    """Write the course SLUG as a package into DIRECTORY."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"No course {slug!r}.")
    packages.export_course(course, directory)
    click.echo(f"Exported {slug} {course.version} to {directory}")


tokens = AppGroup("tokens", help="Personal API tokens: create, list, revoke.")


@tokens.command("create")
@click.argument("email")
@click.option("--name", default="personal", show_default=True, help="What the token is for.")
def create_token(email, name):
    """Make an API token for the account EMAIL and print it (the only time it is shown)."""
    user = accounts.find_user(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active account uses {accounts.normalize_email(email)}.")
    if not 1 <= len(name.strip()) <= 100:
        raise click.ClickException("Give the token a name of 1 to 100 characters.")
    api_token, token = api_tokens.create_token(user, name.strip())
    db.session.commit()
    click.echo(f"Token {api_token.id} ({api_token.name}) for {user.email}. Store it now: it is not shown again.")
    click.echo(token)


@tokens.command("list")
@click.argument("email")
def list_tokens(email):
    """List the API tokens of the account EMAIL (never the tokens themselves)."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No account uses {accounts.normalize_email(email)}.")
    for api_token in api_tokens.tokens_of(user):
        state = "revoked" if api_token.revoked else "active"
        used = f"{api_token.last_used_at:%Y-%m-%d %H:%M}" if api_token.last_used_at else "never used"
        click.echo(f"{api_token.id}\t{api_token.name}\t{state}\tcreated {api_token.created_at:%Y-%m-%d %H:%M}\t{used}")


@tokens.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
def revoke_token(token_id):
    """Revoke the API token ID for good."""
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None:
        raise click.ClickException(f"No API token {token_id}.")
    if not api_tokens.revoke(api_token):
        raise click.ClickException(f"API token {token_id} is already revoked.")
    db.session.commit()
    click.echo(f"Revoked API token {token_id} ({api_token.name}) of {api_token.user.email}.")


quizzes = AppGroup("quizzes", help="Quiz attempts.")


@quizzes.command("close-overdue")
def close_overdue():
    """Close every attempt whose time and grace period are up, as its quiz says (run it from cron)."""
    closed = quiz_services.close_overdue()
    db.session.commit()
    click.echo(f"Closed {closed} overdue attempt(s).")


questions = AppGroup("questions", help="The question bank of a course: import and export GIFT, Aiken and JSON.")


def course_or_fail(slug):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"No course {slug!r}.")
    return course


@questions.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "slug", required=True, help="The course whose bank receives the questions.")
@click.option("--category", help="For questions the file puts in no category, e.g. \"Module 1/Ethics\" "
                                 "(default: the file name).")
@click.option("--format", "file_format", type=click.Choice(bank.FILE_FORMATS),
              help="Default: aiken for *.aiken and *.aiken.txt, otherwise gift.")
def import_questions(file, slug, category, file_format):
    """Import the questions of FILE; a file with any problem imports nothing."""
    course = course_or_fail(slug)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: the file is not UTF-8 text.")
    names = gift.category_path(category) if category else [bank.file_stem(file.name)]
    try:
        added = bank.import_file(course, text, file_format or bank.guess_format(file.name), names)
    except gift.QuestionFileError as error:
        for problem in error.problems:
            click.echo(f'{file}:{problem.line}: question "{problem.question}": {problem.message}', err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(f"Imported {len(added)} questions into {slug}:")
    for name, count in bank.by_category(added).items():
        click.echo(f"  {name}: {count}")


@questions.command("export")
@click.option("--course", "slug", required=True, help="The course whose bank to export.")
@click.option("--format", "file_format", type=click.Choice(bank.EXPORT_FORMATS), required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Default: standard output.")
def export_questions(slug, file_format, out):
    """Write the whole bank of a course as GIFT or JSON (the field names of Moodle's GIFT fixture)."""
    items = bank.export_questions(course_or_fail(slug))
    try:
        text = bank.export_text(items, file_format)
    except ValueError as error:
        raise click.ClickException(str(error))
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Exported {len(items)} questions of {slug} to {out}")
