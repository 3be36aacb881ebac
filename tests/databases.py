"""Throw-away databases for tests: a SQLite file, or a PostgreSQL database of its own.

With LMS_TEST_DATABASE_URL set (a PostgreSQL server URL), every call makes a fresh
database on that server that `drop` removes again; otherwise a SQLite file in `folder`.
"""
import os
import uuid

import psycopg
from sqlalchemy.engine import make_url


def server_url():
    return os.environ.get("LMS_TEST_DATABASE_URL")


def create(folder):
    base = server_url()
    if not base:
        return f"sqlite:///{folder / f'test-{uuid.uuid4().hex[:8]}.sqlite3'}"
    name = f"kelisim_test_{uuid.uuid4().hex[:12]}"
    with admin_connection(base) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop(url):
    if not url.startswith("postgres"):
        return
    name = make_url(url).database
    with admin_connection(server_url()) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def admin_connection(base):
    url = make_url(base).set(drivername="postgresql", database="postgres")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
