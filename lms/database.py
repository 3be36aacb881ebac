"""Database engine set-up: SQLite pragmas and locking, PostgreSQL pool options."""
from pathlib import Path

from flask import current_app, has_request_context, request
from sqlalchemy import event

from lms.extensions import db, migrate

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def init_app(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30})
    else:
        options.setdefault("pool_pre_ping", True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    if uri.startswith("sqlite"):
        with app.app_context():
            configure_sqlite(db.engine)


def configure_sqlite(engine):
    """WAL, foreign keys, a busy timeout, and writes that take the lock up front.

    pysqlite's own transaction handling is switched off so that we emit BEGIN
    ourselves: a request that may write (any non-GET, any CLI command) starts with
    BEGIN IMMEDIATE and waits for the write lock at its start instead of failing
    with "database is locked" when it tries to upgrade a read lock later.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if may_write() else "BEGIN")


def writes(view):
    """Mark a GET view that writes (progress recorded on view, an overdue attempt closed on
    access), so that its transaction takes the write lock at its start like a POST's."""
    view.lms_writes = True
    return view


def may_write():
    if not has_request_context() or request.method not in READ_ONLY_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint)
    # Token requests record when the token was last used.
    return getattr(view, "lms_writes", False) or "Authorization" in request.headers
