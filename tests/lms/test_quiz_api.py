"""The quiz endpoints of the JSON API: start or resume, save, submit, read; the clock kept by
the server, access to attempts, nothing revealed while an attempt is open, review options."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import User, utcnow
from lms.courses import packages
from lms.courses.models import Activity, Course, Module
from lms.enrollments.models import INSTRUCTOR, Enrollment
from lms.enrollments.services import withdraw
from lms.extensions import db
from lms.progress.models import PASSED, Progress
from lms.quizzes import gift, services as quizzes
from lms.quizzes.models import ABANDONED, FINISHED, OVERDUE, Attempt, Response
from tests.conftest import FIXTURES, counting_statements, csrf_token
from tests.lms.test_api import api, assert_error, enroll_user  # noqa: F401 (api is a fixture)

MATCHES = {
    "Caucus": "A private meeting with one party",
    "BATNA": "The best alternative to a negotiated agreement",
    "Reframing": "Restating a remark in neutral words",
}
# Keys that carry grades, right answers or feedback: never in a response while an attempt is open.
REVEALING = {"fraction", "fractions", "feedback", "correct", "correct_answer", "score", "mark", "percent", "outcome", "comment"}
SECRET_QUIZ = """
::pick::Pick the colour of the sky. {=Blue#SECRET-RIGHT-FEEDBACK ~%50%Cyan#SECRET-HALF-FEEDBACK ~Green#SECRET-WRONG-FEEDBACK
####SECRET-GENERAL-FEEDBACK}

::several::Which are fruit? {~%50%Apple ~%50%Pear ~%-100%Stone#SECRET-STONE-FEEDBACK}

::word::The secret word? {=SECRET-WORD-ANSWER#SECRET-WORD-FEEDBACK}

::number::The secret number? {#4242.5:0.5#SECRET-NUMBER-FEEDBACK}

::truth::The sky is blue. {T#SECRET-FALSE-FEEDBACK#SECRET-TRUE-FEEDBACK}

::pairs::Match them. {=Cat -> Meow =Dog -> Woof = -> Moo}

::note::Read this before you answer.
"""
SECRETS = ("SECRET", "4242.5")


# --- helpers --------------------------------------------------------------------------


@pytest.fixture
def quiz(app):
    """The quiz course package (open, published): its quiz's activity id. 6 questions, 600 s, 3 attempts."""
    with app.app_context():
        packages.import_package(FIXTURES / "courses" / "quiz-course", app.extensions["lms_plugins"])
        db.session.commit()
        return db.session.scalar(select(Activity.id).where(Activity.slug == "basics-quiz"))


def make_quiz(app, gift_text, slug="quizzes", published=True, prerequisites=(), **settings):
    """A course `slug` with a lesson "intro" and a quiz of these GIFT questions (answers unshuffled
    unless the settings say otherwise); returns the quiz's activity id."""
    with app.app_context():
        course = Course(slug=slug, title={"en": slug.title()}, languages=["en"], published=published)
        module = Module(course=course, slug="m", title={"en": "Module"})
        db.session.add(Activity(
            course=course, module=module, slug="intro", type_key="lesson", title={"en": "Intro"},
            content={"en": "Text"}, settings={"completion": "mark"}, position=0,
        ))
        activity = Activity(
            course=course, module=module, slug="quiz", type_key="quiz", title={"en": "Quiz"}, position=1,
            settings={"pool": {"en": ["quiz"]}, "shuffle_answers": False, **settings}, prerequisites=list(prerequisites),
        )
        db.session.add_all([course, activity])
        db.session.flush()
        quizzes.import_questions(course, gift.parse(gift_text), ["quiz"])
        db.session.commit()
        return activity.id


def course_slug(app, activity_id):
    with app.app_context():
        return db.session.get(Activity, activity_id).course.slug


def set_settings(app, activity_id, **values):
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        activity.settings = {**activity.settings, **values}
        db.session.commit()


def move_deadline(app, attempt_id, seconds_ago):
    """Pretend the attempt's time ran out `seconds_ago` (the server's clock is the only one)."""
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline_at = utcnow() - timedelta(seconds=seconds_ago)
        attempt.started_at = attempt.deadline_at - timedelta(seconds=600)
        db.session.commit()


def learner(app, api, quiz_id, role="trainee"):
    """A trainee enrolled in the quiz's course, with the headers of their token."""
    user, headers = api()
    enroll_user(app, user, course_slug(app, quiz_id), role=role)
    return user, headers


def start(client, quiz_id, headers, status=201):
    response = client.post(f"/api/v1/quizzes/{quiz_id}/attempts", headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["attempt"]


def save(client, attempt_id, answers, headers):
    return client.put(f"/api/v1/attempts/{attempt_id}/answers", json={"answers": answers}, headers=headers)


def right_answers(attempt):
    """The fixture quiz answered rightly, by the positions this attempt shows."""
    answers = {}
    for question in attempt["questions"]:
        slot, kind = str(question["slot"]), question["type"]
        if kind == "multichoice":
            answers[slot] = question["options"].index("Voluntariness")
        elif kind == "truefalse":
            answers[slot] = False
        elif kind == "shortanswer":
            answers[slot] = "  Opening "
        elif kind == "numerical":
            answers[slot] = "72"
        elif kind == "matching":
            answers[slot] = {item["key"]: MATCHES[item["text"]] for item in question["items"]}
        elif kind == "essay":
            answers[slot] = "I mediated between neighbours and would listen longer."
    return answers


def keys_in(value):
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_in(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_in(item)}
    return set()


def assert_reveals_nothing(response):
    """No grade, right answer or feedback in the body, under any key or in any text."""
    body = response.get_json()
    review = body.get("attempt", {}).pop("review", None)
    if review is not None:
        assert review == {"score": False, "correct_answers": False, "feedback": False}
    assert not keys_in(body) & REVEALING, keys_in(body) & REVEALING
    text = json.dumps(body)
    for secret in SECRETS:
        assert secret not in text, text


def progress_row(app, user_id, quiz_id):
    with app.app_context():
        row = db.session.scalar(
            select(Progress).join(Enrollment).where(Enrollment.user_id == user_id, Progress.activity_id == quiz_id)
        )
        db.session.expunge(row)
        return row


# --- taking a quiz ----------------------------------------------------------------------


def test_start_save_submit_and_read_with_a_token(app, client, api, quiz):
    user, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    assert attempt["state"] == "in_progress" and attempt["number"] == 1 and attempt["quiz"] == quiz
    assert attempt["deadline_at"].endswith("Z") and attempt["started_at"].endswith("Z")
    assert 595 <= attempt["seconds_left"] <= 600
    assert [question["type"] for question in attempt["questions"]] == [
        "multichoice", "truefalse", "shortanswer", "numerical", "matching", "essay"
    ]
    choice = attempt["questions"][0]
    assert sorted(choice["options"]) == ["Confidentiality", "Impartiality", "Voluntariness"]
    assert choice["multiple"] is False and choice["answer"] is None
    matching = attempt["questions"][4]
    assert {item["text"] for item in matching["items"]} == set(MATCHES)
    assert matching["choices"] == sorted(MATCHES.values())

    again = start(client, quiz, headers, status=200)  # resumes, on this device or another
    assert again["id"] == attempt["id"] and again["questions"] == attempt["questions"]

    answers = right_answers(attempt)
    response = save(client, attempt["id"], answers, headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    saved = {str(question["slot"]): question["answer"] for question in response.get_json()["attempt"]["questions"]}
    assert saved == answers
    detail = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()["attempt"]
    assert detail["state"] == "in_progress" and detail["questions"] == response.get_json()["attempt"]["questions"]

    response = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_json()["attempt"]
    assert result["state"] == "finished" and result["finished_at"].endswith("Z") and result["seconds_left"] == 0
    # Default review: score and feedback immediately, right answers only after the quiz closes.
    assert result["review"] == {"score": True, "correct_answers": False, "feedback": True}
    assert result["score"] == 5 and result["max_score"] == 6 and result["needs_grading"] is True
    assert [question["outcome"] for question in result["questions"]] == ["correct"] * 5 + ["pending"]
    assert "correct_answer" not in keys_in(result["questions"])

    assert_error(client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers), 409, "already_submitted")
    assert_error(save(client, attempt["id"], {"0": 1}, headers), 409, "attempt_closed")
    row = progress_row(app, user.id, quiz)
    assert row.status == PASSED and row.score == pytest.approx(83.33) and row.attempts == 1
    with app.app_context():
        assert db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "quiz.attempt_graded")
        ) == 1

    second = start(client, quiz, headers)
    assert second["number"] == 2 and second["id"] != attempt["id"]


def test_a_session_needs_the_csrf_header_to_start_save_and_submit(app, client, login_as, quiz):
    user = login_as("trainee")
    enroll_user(app, user, course_slug(app, quiz))
    url = f"/api/v1/quizzes/{quiz}/attempts"
    assert_error(client.post(url), 400, "csrf_failed")
    headers = {"X-CSRFToken": csrf_token(client)}
    attempt = start(client, quiz, headers)
    assert_error(client.put(f"/api/v1/attempts/{attempt['id']}/answers", json={"answers": {"1": True}}), 400, "csrf_failed")
    assert save(client, attempt["id"], {"1": True}, headers).status_code == 200
    assert client.get(f"/api/v1/attempts/{attempt['id']}").status_code == 200  # reading needs no token
    assert_error(client.post(f"/api/v1/attempts/{attempt['id']}/submit"), 400, "csrf_failed")
    assert client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).status_code == 200


def test_answers_are_given_by_shown_position_and_stored_by_the_questions_own_index(app, client, api):
    quiz = make_quiz(app, "::q::Pick one. {=Right ~Wrong one ~Wrong two ~Wrong three ~Wrong four}", shuffle_answers=True)
    _user, headers = learner(app, api, quiz)
    orders = set()
    for _round in range(8):
        attempt = start(client, quiz, headers)
        options = attempt["questions"][0]["options"]
        orders.add(tuple(options))
        position = options.index("Right")
        saved = save(client, attempt["id"], {"0": position}, headers).get_json()["attempt"]
        assert saved["questions"][0]["answer"] == position
        with app.app_context():
            assert db.session.scalar(select(Response.answer).where(Response.attempt_id == attempt["id"])) == 0
        result = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()["attempt"]
        assert result["score"] == 1
    assert len(orders) > 1  # shuffled per attempt


def test_bad_bodies_are_400_and_save_nothing(app, client, api, quiz):
    _user, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    url = f"/api/v1/attempts/{attempt['id']}/answers"
    for body in [None, [], {"answers": []}, {"answers": "0"}, {"0": 1}]:
        assert_error(client.put(url, json=body, headers=headers), 400, "bad_request")
    assert_error(client.put(url, data="not json", headers=headers), 400, "bad_request")
    for answers in [{"1": True, "6": "x"}, {"1": True, "-1": "x"}, {"1": True, "one": "x"}]:
        assert_error(save(client, attempt["id"], answers, headers), 400, "bad_request")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response).where(Response.attempt_id == attempt["id"])) == 0


# --- who may start, read and change -----------------------------------------------------------


def test_starting_needs_an_active_trainee_enrollment(app, client, api, quiz):
    _outsider, outsider_headers = api()
    assert_error(client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=outsider_headers), 403, "not_enrolled")
    instructor, instructor_headers = api("instructor")
    enroll_user(app, instructor, "quiz-course", role=INSTRUCTOR)
    assert_error(client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=instructor_headers), 403, "not_enrolled")
    gone, gone_headers = learner(app, api, quiz)
    with app.app_context():
        withdraw(db.session.scalar(select(Enrollment).where(Enrollment.user_id == gone.id)))
        db.session.commit()
    assert_error(client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=gone_headers), 403, "not_enrolled")


def test_unknown_quizzes_other_activities_and_drafts_are_404(app, client, api, quiz):
    _user, headers = learner(app, api, quiz)
    with app.app_context():
        lesson = db.session.scalar(select(Activity.id).where(Activity.slug == "intro", Activity.type_key == "lesson"))
    draft = make_quiz(app, "::q::Yes? {T}", slug="draft", published=False)
    for activity_id in [999999, lesson, draft]:
        assert_error(client.post(f"/api/v1/quizzes/{activity_id}/attempts", headers=headers), 404, "not_found")
    assert_error(client.get("/api/v1/attempts/999999", headers=headers), 404, "not_found")


def test_a_locked_closed_unopened_or_used_up_quiz_refuses_to_start(app, client, api):
    quiz = make_quiz(app, "::q::Yes? {T}", prerequisites=["intro"], attempts=1)
    user, headers = learner(app, api, quiz)
    error = assert_error(client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers), 403, "locked")
    assert error["missing_prerequisites"] == ["intro"]
    response = client.post("/api/v1/courses/quizzes/activities/intro/complete", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)

    set_settings(app, quiz, open_at=(utcnow() + timedelta(days=1)).isoformat())
    assert "opens" in assert_error(client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers), 403, "quiz_unavailable")["message"]
    set_settings(app, quiz, open_at=None, close_at=(utcnow() - timedelta(days=1)).isoformat())
    assert "closed" in assert_error(client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers), 403, "quiz_unavailable")["message"]
    set_settings(app, quiz, close_at=None)
    attempt = start(client, quiz, headers)
    assert client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).status_code == 200
    error = assert_error(client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers), 403, "quiz_unavailable")
    assert "attempts" in error["message"]


def test_a_quiz_without_questions_cannot_start(app, client, api):
    quiz = make_quiz(app, "")
    _user, headers = learner(app, api, quiz)
    assert_error(client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers), 409, "no_questions")


def test_an_attempt_is_its_learners_others_get_404_and_staff_may_only_read(app, client, api, quiz):
    _owner, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    base = f"/api/v1/attempts/{attempt['id']}"
    # "Skipping the start": someone who never started this attempt cannot use its id.
    _other, other_headers = learner(app, api, quiz)
    _stranger, stranger_headers = api()
    instructor_elsewhere, elsewhere_headers = api("instructor")
    make_quiz(app, "::q::Yes? {T}", slug="elsewhere")
    enroll_user(app, instructor_elsewhere, "elsewhere", role=INSTRUCTOR)
    for someone in (other_headers, stranger_headers, elsewhere_headers):
        assert_error(client.get(base, headers=someone), 404, "not_found")
        assert_error(save(client, attempt["id"], {"1": True}, someone), 404, "not_found")
        assert_error(client.post(f"{base}/submit", headers=someone), 404, "not_found")

    instructor, staff_headers = api("instructor")
    enroll_user(app, instructor, "quiz-course", role=INSTRUCTOR)
    _admin, admin_headers = api("admin")
    for staff in (staff_headers, admin_headers):
        response = client.get(base, headers=staff)
        assert response.status_code == 200 and response.get_json()["attempt"]["id"] == attempt["id"]
        assert_reveals_nothing(response)
        assert_error(save(client, attempt["id"], {"1": True}, staff), 403, "forbidden")
        assert_error(client.post(f"{base}/submit", headers=staff), 403, "forbidden")
    with app.app_context():
        assert db.session.get(Attempt, attempt["id"]).state == "in_progress"

    endpoints = [("POST", f"/api/v1/quizzes/{quiz}/attempts"), ("GET", base), ("PUT", f"{base}/answers"), ("POST", f"{base}/submit")]
    for method, url in endpoints:
        assert_error(client.open(url, method=method), 401, "unauthorized")


def test_a_withdrawn_learner_can_read_but_not_change_their_attempt(app, client, api, quiz):
    user, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    with app.app_context():
        withdraw(db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id)))
        db.session.commit()
    assert client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).status_code == 200
    assert_error(save(client, attempt["id"], {"1": True}, headers), 403, "not_enrolled")
    assert_error(client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers), 403, "not_enrolled")


# --- the server keeps time ---------------------------------------------------------------------


def test_the_client_cannot_set_the_deadline(app, client, api, quiz):
    _user, headers = learner(app, api, quiz)
    response = client.post(
        f"/api/v1/quizzes/{quiz}/attempts", json={"deadline_at": "2999-01-01T00:00:00Z", "time_limit": 0}, headers=headers
    )
    assert response.status_code == 201
    with app.app_context():
        attempt = db.session.get(Attempt, response.get_json()["attempt"]["id"])
        assert attempt.deadline_at - attempt.started_at == timedelta(seconds=600)


def test_after_the_deadline_saving_is_refused_but_submitting_works_during_the_grace_period(app, client, api, quiz):
    user, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    answers = right_answers(attempt)
    assert save(client, attempt["id"], {"0": answers["0"]}, headers).status_code == 200
    move_deadline(app, attempt["id"], 10)  # the grace period is 60 s

    error = assert_error(save(client, attempt["id"], answers, headers), 409, "time_up")
    assert "submit" in error["message"]
    detail = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()["attempt"]
    assert detail["state"] == OVERDUE and detail["seconds_left"] == 0
    assert [question["answer"] for question in detail["questions"]][:2] == [answers["0"], None]
    resumed = start(client, quiz, headers, status=200)
    assert resumed["id"] == attempt["id"] and resumed["state"] == OVERDUE

    response = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["attempt"]["score"] == 1  # only what was saved in time
    assert progress_row(app, user.id, quiz).attempts == 1


def test_after_the_grace_period_the_attempt_is_submitted_with_what_was_saved(app, client, api, quiz):
    user, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    answers = right_answers(attempt)
    save(client, attempt["id"], {"0": answers["0"], "1": answers["1"]}, headers)
    move_deadline(app, attempt["id"], 61)

    assert_error(save(client, attempt["id"], answers, headers), 409, "time_up")
    detail = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()["attempt"]
    assert detail["state"] == FINISHED and detail["score"] == 2
    assert_error(client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers), 409, "already_submitted")
    assert progress_row(app, user.id, quiz).attempts == 1


def test_a_late_submit_is_the_one_that_closes_the_attempt(app, client, api, quiz):
    _user, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    save(client, attempt["id"], {"1": False}, headers)
    move_deadline(app, attempt["id"], 3600)
    response = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["attempt"]["state"] == FINISHED and response.get_json()["attempt"]["score"] == 1
    assert_error(client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers), 409, "already_submitted")


def test_when_the_quiz_discards_late_attempts_they_are_abandoned_and_not_counted(app, client, api, quiz):
    set_settings(app, quiz, overdue="discard")
    user, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    save(client, attempt["id"], right_answers(attempt), headers)
    move_deadline(app, attempt["id"], 61)
    assert_error(client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers), 409, "time_up")
    detail = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers)
    assert detail.get_json()["attempt"]["state"] == ABANDONED
    assert_reveals_nothing(detail)
    assert_error(client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers), 409, "already_submitted")
    row = progress_row(app, user.id, quiz)
    assert row.attempts == 0 and row.score is None
    assert start(client, quiz, headers)["number"] == 2


# --- nothing revealed too early -------------------------------------------------------------------


def test_no_response_reveals_answers_feedback_or_scores_while_the_attempt_is_open(app, client, api):
    quiz = make_quiz(app, SECRET_QUIZ, shuffle_answers=True, time_limit=600)
    _user, headers = learner(app, api, quiz)
    response = client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers)
    assert_reveals_nothing(response)
    attempt = response.get_json()["attempt"]
    assert [question["type"] for question in attempt["questions"]] == [
        "multichoice", "multichoice", "shortanswer", "numerical", "truefalse", "matching", "description"
    ]
    assert "max_mark" not in attempt["questions"][6] and "answer" not in attempt["questions"][6]
    matching = attempt["questions"][5]
    assert matching["choices"] == ["Meow", "Moo", "Woof"]  # the distractor too, never in the items' order
    assert [item["text"] for item in matching["items"]] in (["Cat", "Dog"], ["Dog", "Cat"])
    assert_reveals_nothing(client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers))
    answers = {"0": 0, "1": [0, 1], "2": "guess", "3": "1", "4": True, "5": {"0": "Woof"}}
    assert_reveals_nothing(save(client, attempt["id"], answers, headers))
    assert_reveals_nothing(client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers))
    move_deadline(app, attempt["id"], 10)
    assert_reveals_nothing(save(client, attempt["id"], answers, headers))  # the 409 tells nothing either
    assert_reveals_nothing(client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers))


def test_review_options_decide_what_a_finished_attempt_shows(app, client, api):
    quiz = make_quiz(
        app, SECRET_QUIZ, review_score="never", review_correct="after_close", review_feedback="never",
        close_at=(utcnow() + timedelta(days=1)).isoformat(),
    )
    _user, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    answers = {"0": 1, "1": [0, 2], "2": "secret-word-answer", "3": "4242.9", "4": False, "5": {"0": "Meow", "1": "Moo"}}
    save(client, attempt["id"], answers, headers)
    response = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    assert response.status_code == 200
    assert_reveals_nothing(response)  # nothing until the quiz closes, scores never
    assert_reveals_nothing(client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers))

    set_settings(app, quiz, close_at=(utcnow() - timedelta(minutes=1)).isoformat())
    result = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()["attempt"]
    assert result["review"] == {"score": False, "correct_answers": True, "feedback": False}
    assert not keys_in(result["questions"]) & {"mark", "outcome", "feedback"} and "score" not in result
    assert [question.get("correct_answer") for question in result["questions"]] == [
        0, [0, 1], "SECRET-WORD-ANSWER", {"value": 4242.5, "tolerance": 0.5}, True, {"0": "Meow", "1": "Woof"}, None
    ]

    set_settings(app, quiz, review_score="immediately", review_feedback="after_close", review_correct="never")
    result = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()["attempt"]
    assert result["review"] == {"score": True, "correct_answers": False, "feedback": True}
    # 0.5 (Cyan) + 0 (Apple 0.5, Stone -1: clipped) + 1 + 1 (within 0.5) + 0 + 0.5
    assert result["score"] == 3 and result["max_score"] == 6 and result["percent"] == 50
    questions = result["questions"]
    assert [question.get("outcome") for question in questions] == [
        "partial", "incorrect", "correct", "correct", "incorrect", "partial", None
    ]
    assert [question.get("mark") for question in questions] == [0.5, 0, 1, 1, 0, 0.5, None]
    feedback = [question.get("feedback") for question in questions]
    assert feedback[0] == {"answer": ["SECRET-HALF-FEEDBACK"], "general": "SECRET-GENERAL-FEEDBACK", "comment": None}
    assert feedback[1]["answer"] == ["SECRET-STONE-FEEDBACK"]
    assert feedback[2]["answer"] == ["SECRET-WORD-FEEDBACK"] and feedback[3]["answer"] == ["SECRET-NUMBER-FEEDBACK"]
    assert feedback[4]["answer"] == ["SECRET-FALSE-FEEDBACK"]
    assert "correct_answer" not in keys_in(result)


def test_staff_see_the_whole_review_of_a_finished_attempt(app, client, api):
    quiz = make_quiz(app, SECRET_QUIZ, review_score="never", review_correct="never", review_feedback="never")
    _user, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    assert_reveals_nothing(client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers))
    instructor, staff_headers = api("instructor")
    enroll_user(app, instructor, "quizzes", role=INSTRUCTOR)
    result = client.get(f"/api/v1/attempts/{attempt['id']}", headers=staff_headers).get_json()["attempt"]
    assert result["review"] == {"score": True, "correct_answers": True, "feedback": True}
    assert result["score"] == 0 and result["questions"][0]["correct_answer"] == 0


def test_question_text_is_sanitised_in_every_format(app, client, api):
    quiz = make_quiz(
        app,
        "::h::[html]<p onclick=\"x()\">Pick</p><script>alert(1)</script> {=<b>Yes</b><img src\\=x onerror\\=alert(2)> ~No}\n\n"
        "::m::[markdown]**Bold** <script>alert(3)</script> {T}\n\n"
        "::p::[plain]<i>as typed</i> {T}",
    )
    _user, headers = learner(app, api, quiz)
    attempt = start(client, quiz, headers)
    text = json.dumps(attempt)
    assert "<script" not in text and "onclick" not in text and "onerror" not in text
    questions = attempt["questions"]
    assert questions[0]["text"].startswith("<p>Pick</p>") and "<b>Yes</b>" in questions[0]["options"][0]
    assert "<strong>Bold</strong>" in questions[1]["text"]
    assert questions[2]["text"] == "&lt;i&gt;as typed&lt;/i&gt;"


def test_an_open_attempt_reads_in_a_fixed_number_of_statements(app, client, api):
    small = make_quiz(app, "::q::Yes? {T}", slug="small")
    big = make_quiz(app, "\n\n".join(f"::q{index}::Pick {index}. {{=A ~B ~C}}" for index in range(20)), slug="big")
    counts = []
    for quiz in (small, big):
        user, headers = learner(app, api, quiz)
        attempt = start(client, quiz, headers)
        save(client, attempt["id"], {str(slot): 0 for slot in range(len(attempt["questions"]))}, headers)
        with counting_statements(app) as statements:
            assert client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).status_code == 200
        assert any("FROM quiz_responses" in statement for statement in statements)  # the listener sees the request's queries
        counts.append(len(statements))
    assert counts[0] == counts[1]
