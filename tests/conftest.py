"""Fixtures in the manner of Flask's tutorial: app, client, runner, auth, and factories.

One app and one migrated database serve the whole session; every test runs inside a
transaction that is rolled back afterwards (requests commit to savepoints), so tests
never see each other's data.
"""
import math
import re
import socket
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest
from flask_sqlalchemy.session import _app_ctx_id
from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, scoped_session

from lms import create_app
from lms.auth.models import User
from lms.extensions import db, limiter
from tests import databases

PASSWORD = "correct horse battery staple"
FIXTURES = Path(__file__).parent / "fixtures"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
SAVEPOINT_BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def make_app(tmp_path, database_url, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "LMS_INSTANCE_PATH": str(tmp_path),
        "LMS_PLUGINS": [],
        "LMS_COURSES_PATH": str(FIXTURES / "courses"),
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("instance")
    url = databases.create(folder)
    app = make_app(folder, url)
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    databases.drop(url)


@pytest.fixture(autouse=True)
def isolated_database(request, app):
    """Run the test in a transaction that is rolled back; requests commit to savepoints.

    Only the session app is bound to that transaction: apps that a test builds for
    itself (other configuration, another database) get ordinary sessions.
    """
    if "e2e" in request.keywords:
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
    original_session = db.session

    def make_session():
        if current_app._get_current_object() is app:
            return Session(bind=connection, join_transaction_mode="create_savepoint")
        return original_session.session_factory()

    db.session = scoped_session(make_session, scopefunc=_app_ctx_id)
    limiter.reset()
    yield
    with app.app_context():
        db.session.remove()
    db.session = original_session
    transaction.rollback()
    connection.close()


@pytest.fixture
def build_app(tmp_path):
    """Factory for apps of their own beside the shared `app`: other settings, another database.

    build_app(database_url=None, migrate=False, **overrides) makes a test app with its own
    instance folder under tmp_path and, unless given a URL, its own fresh SQLite file;
    migrate=True upgrades its database to the latest revision.
    build_app.from_environment() calls create_app() exactly as wsgi.py does, configured
    only by the environment and the instance folder it names.

    isolated_database binds db.session to the rolled-back transaction only for the shared
    app, so these apps really use their own database. Do not mix them with the shared
    `client` in a test. Afterwards every app built has its sessions removed and its engine
    disposed.
    """
    built = []

    def build_app(database_url=None, migrate=False, **overrides):
        folder = tmp_path / f"app-{len(built)}"
        folder.mkdir()
        if database_url is None:
            database_url = f"sqlite:///{folder / 'lms.sqlite3'}"
        app = make_app(folder, database_url, **overrides)
        built.append(app)
        if migrate:
            with app.app_context():
                flask_migrate.upgrade()
        return app

    def from_environment():
        app = create_app()
        built.append(app)
        return app

    build_app.from_environment = from_environment
    yield build_app
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def csrf_token(client, path="/"):
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_META.search(html)
    assert match, f"no CSRF token on {path}: {html[:2000]}"
    return match.group(1)


@pytest.fixture
def submit(client):
    """POST a form the way a browser does: with the CSRF token of the current session."""

    def submit(path, data=None, **kwargs):
        return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)

    return submit


@pytest.fixture
def create_user(app):
    """Factory: create_user(role="instructor", email=..., ...) -> User (committed)."""
    counter = iter(range(1, 1_000_000))

    def create_user(role="trainee", email=None, name=None, password=PASSWORD, active=True, locale=None):
        number = next(counter)
        with app.app_context():
            user = User(
                email=email or f"{role}{number}@example.kz",
                name=name or f"{role.title()} {number}",
                role=role,
                active=active,
                locale=locale,
            )
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return create_user


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password=PASSWORD, **extra):
        email = getattr(user_or_email, "email", user_or_email)
        data = {"email": email, "password": password, "csrf_token": csrf_token(self.client), **extra}
        return self.client.post("/account/login", data=data)

    def logout(self):
        return self.client.post("/account/logout", data={"csrf_token": csrf_token(self.client)})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login_as(create_user, auth):
    """Sign in a fresh user with the given role and return it."""

    def login_as(role="trainee", **kwargs):
        user = create_user(role=role, **kwargs)
        response = auth.login(user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login_as


def find_user(app, email):
    """The user with this email, detached so that tests can read it after the request."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


@pytest.fixture
def get_user(app):
    def get_user(user_id):
        with app.app_context():
            user = db.session.get(User, user_id)
            if user is not None:
                db.session.expunge(user)
            return user

    return get_user


class Statements(list):
    """The SQL statements that counting_statements collected; `commits` counts the COMMITs."""

    commits = 0


@contextmanager
def counting_statements(app, everything=False):
    """Collect the SQL statements sent to the app's engine while the block runs (the test's own
    connection included), and count the COMMITs.

    The savepoint bookkeeping (SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK TO SAVEPOINT) is skipped:
    the shared app's requests commit to savepoints of the test's rolled-back transaction, so those
    statements come from the harness, not from the code under test. everything=True keeps them.
    """
    statements = Statements()

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if everything or not statement.lstrip().upper().startswith(SAVEPOINT_BOOKKEEPING):
            statements.append(statement)

    def on_commit(conn):
        statements.commits += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
        event.remove(engine, "commit", on_commit)


def same(actual, expected):
    """Equal, comparing floats with a 1e-9 tolerance."""
    if isinstance(expected, float) or isinstance(actual, float):
        return (isinstance(actual, (int, float)) and isinstance(expected, (int, float))
                and not isinstance(actual, bool) and math.isclose(actual, expected, rel_tol=0, abs_tol=1e-9))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and actual.keys() == expected.keys() and all(
            same(actual[key], expected[key]) for key in expected)
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(map(same, actual, expected))
    return type(actual) is type(expected) and actual == expected


def without_lines(questions):
    """The questions without the "line" each was parsed from."""
    return [{key: value for key, value in question.items() if key != "line"} for question in questions]
