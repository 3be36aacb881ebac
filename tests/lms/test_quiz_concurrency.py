"""Quiz attempts under load, against a real database of their own (a SQLite file, and also
PostgreSQL when LMS_TEST_DATABASE_URL is set): concurrent submits grade once, concurrent
starts make one attempt, starting writes no shared row, submitting is one transaction."""
import threading

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.extensions import db
from lms.progress.models import Progress
from lms.quizzes import grading
from lms.quizzes.models import FINISHED, Attempt, Response
from tests import databases
from tests.conftest import PASSWORD, counting_statements, csrf_token
from tests.lms.test_api import bearer, enroll_user, make_token
from tests.lms.test_quiz_api import make_quiz

THREADS = 20
QUESTIONS = "\n\n".join(f"::q{index}::Statement {index} is true. {{T}}" for index in range(20))
SHARED_TABLES = ("activities", "courses", "course_modules", "questions", "question_categories")


@pytest.fixture(params=["sqlite", "server"])
def own_app(request, build_app, tmp_path):
    """An app with a migrated database of its own: a SQLite file, or one on the test server."""
    if request.param == "sqlite":
        yield build_app(migrate=True)
        return
    if not databases.server_url():
        pytest.skip("LMS_TEST_DATABASE_URL is not set")
    url = databases.create(tmp_path)
    app = build_app(database_url=url, migrate=True)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


def add_user(app, email):
    with app.app_context():
        user = User(email=email, name=email.split("@")[0], role="trainee")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def learners(app, quiz, count):
    """`count` trainees of the quiz's course, each with the headers of an API token."""
    found = []
    for number in range(count):
        user = add_user(app, f"learner{number}@example.kz")
        enroll_user(app, user, "quizzes")
        found.append((user, bearer(make_token(app, user))))
    return found


def at_once(work, count=THREADS):
    """Run work(number) in `count` threads released together; their results, or the errors raised."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(number):
        barrier.wait()
        try:
            results[number] = work(number)
        except Exception as error:  # reported below with the thread number
            errors.append(f"thread {number}: {error!r}")

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def start(app, quiz, headers):
    response = app.test_client().post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["attempt"]


def test_twenty_identical_submits_grade_the_attempt_once(own_app):
    quiz = make_quiz(own_app, QUESTIONS)
    [(user, headers)] = learners(own_app, quiz, 1)
    attempt = start(own_app, quiz, headers)
    answers = {str(slot): slot % 2 == 0 for slot in range(20)}
    saved = own_app.test_client().put(f"/api/v1/attempts/{attempt['id']}/answers", json={"answers": answers}, headers=headers)
    assert saved.status_code == 200

    def submit(_number):
        with own_app.test_client() as client:
            response = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
            return response.status_code, response.get_json()

    results = at_once(submit)
    statuses = sorted(status for status, _body in results)
    assert statuses == [200] + [409] * (THREADS - 1), results
    assert all(body["error"]["code"] == "already_submitted" for status, body in results if status == 409)
    [winner] = [body for status, body in results if status == 200]
    assert winner["attempt"]["state"] == FINISHED and winner["attempt"]["score"] == 10

    with own_app.app_context():
        stored = db.session.scalars(select(Attempt)).all()
        assert [(item.state, item.score, item.max_score) for item in stored] == [(FINISHED, 10, 20)]
        assert db.session.scalar(select(func.count()).select_from(Response)) == 20  # one response per slot
        row = db.session.scalar(select(Progress).where(Progress.activity_id == quiz))
        assert row.attempts == 1 and row.score == 50
        submitted = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "quiz.attempt_graded")
        assert db.session.scalar(submitted) == 1


def test_twenty_concurrent_starts_by_one_learner_make_one_attempt(own_app):
    quiz = make_quiz(own_app, QUESTIONS, time_limit=600)
    [(_user, headers)] = learners(own_app, quiz, 1)

    def begin(_number):
        with own_app.test_client() as client:
            response = client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers)
            return response.status_code, response.get_json()

    results = at_once(begin)
    assert sorted(status for status, _body in results) == [200] * (THREADS - 1) + [201], results
    assert {body["attempt"]["id"] for _status, body in results} == {results[0][1]["attempt"]["id"]}
    with own_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_many_learners_starting_at_once_update_no_shared_row(own_app):
    quiz = make_quiz(own_app, QUESTIONS, time_limit=600)
    people = learners(own_app, quiz, THREADS)
    with counting_statements(own_app, everything=True) as statements:
        results = at_once(lambda number: start(own_app, quiz, people[number][1]))
    updates = [statement for statement in statements if statement.lstrip().upper().startswith("UPDATE")]

    assert len({attempt["id"] for attempt in results}) == THREADS
    assert all(attempt["number"] == 1 for attempt in results)
    touched = {statement.split()[1].strip('"') for statement in updates}
    assert not touched & set(SHARED_TABLES), updates
    assert touched <= {"enrollments", "progress", "api_tokens"}, touched  # each learner's own rows only


def submit_counted(app, quiz, slug, email, questions, right):
    """Sign in through the website, start and answer an attempt, then submit it, counting
    the COMMITs and statements of the submit request alone."""
    user = add_user(app, email)
    enroll_user(app, user, slug)
    client = app.test_client()
    response = client.post("/account/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    headers = {"X-CSRFToken": csrf_token(client)}
    response = client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    attempt_id = response.get_json()["attempt"]["id"]
    answers = {str(slot): slot < right for slot in range(questions)}
    assert client.put(f"/api/v1/attempts/{attempt_id}/answers", json={"answers": answers}, headers=headers).status_code == 200

    with counting_statements(app, everything=True) as statements:
        response = client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["attempt"]["score"] == right
    return statements.commits, len(statements)


def test_submitting_and_grading_twenty_questions_is_one_short_transaction(own_app):
    big = make_quiz(own_app, QUESTIONS)
    small = make_quiz(own_app, "::q::Statement is true. {T}", slug="small")
    commits, statements = submit_counted(own_app, big, "quizzes", "big@example.kz", 20, 15)
    assert commits == 1
    # Short: the twenty responses are marked in as many statements as one is.
    assert (commits, statements) == submit_counted(own_app, small, "small", "small@example.kz", 1, 1)


def test_saves_racing_a_submit_never_fail_and_the_grade_matches_the_stored_answers(own_app):
    quiz = make_quiz(own_app, QUESTIONS)
    [(_user, headers)] = learners(own_app, quiz, 1)
    for _round in range(3):
        attempt = start(own_app, quiz, headers)

        def act(number):
            with own_app.test_client() as client:
                if number == 0:
                    return client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).status_code
                answers = {str(slot): (slot + number) % 2 == 0 for slot in range(20)}
                url = f"/api/v1/attempts/{attempt['id']}/answers"
                return client.put(url, json={"answers": answers}, headers=headers).status_code

        statuses = at_once(act, count=6)
        assert statuses[0] == 200 and set(statuses[1:]) <= {200, 409}, statuses
        with own_app.app_context():
            stored = db.session.get(Attempt, attempt["id"])
            assert stored.state == FINISHED and len(stored.responses) == 20
            for response in stored.responses:
                assert response.fraction == grading.fraction(response.question, response.answer)
            assert stored.score == sum(response.mark for response in stored.responses)
