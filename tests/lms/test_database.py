"""The embedded SQLite database: pragmas, and concurrent writes that never fail with a lock error."""
import threading

import pytest
from sqlalchemy import func, select, text

from lms.auth.models import User
from lms.extensions import db
from tests import databases
from tests.conftest import PASSWORD, csrf_token

pytestmark = pytest.mark.skipif(bool(databases.server_url()), reason="SQLite-specific behaviour")


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(build_app):
    sqlite_app = build_app(migrate=True)
    with sqlite_app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_concurrent_registrations_all_succeed(build_app):
    """Eight threads sign up at once; every request is written, none sees "database is locked"."""
    sqlite_app = build_app(migrate=True)
    statuses, errors = [], []

    def sign_up(thread_number):
        client = sqlite_app.test_client()
        for index in range(4):
            try:
                response = client.post(
                    "/account/register",
                    data={
                        "name": f"Thread {thread_number} person {index}",
                        "email": f"t{thread_number}-{index}@example.kz",
                        "password": PASSWORD,
                        "confirm": PASSWORD,
                        "locale": "kk",
                        "csrf_token": csrf_token(client),
                    },
                )
                statuses.append(response.status_code)
                client.post("/account/logout", data={"csrf_token": csrf_token(client)})
            except Exception as error:  # collected and reported below with the thread number
                errors.append(f"thread {thread_number}: {error!r}")

    threads = [threading.Thread(target=sign_up, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert statuses == [302] * 32
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 32


def test_views_that_write_on_get_take_the_write_lock_first(app):
    """GET pages that record progress or close overdue attempts begin with BEGIN IMMEDIATE."""
    from lms.database import may_write

    for path, expected in (
        ("/courses/", False),
        ("/courses/sample-course/a/intro", True),
        ("/quizzes/attempts/1", True),
        ("/api/v1/attempts/1", True),
    ):
        with app.test_request_context(path):
            assert may_write() is expected, path
    with app.test_request_context("/api/v1/courses", headers={"Authorization": "Bearer klsm_x"}):
        assert may_write() is True
    with app.test_request_context("/courses/", method="POST"):
        assert may_write() is True
