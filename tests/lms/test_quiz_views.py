"""Taking a quiz in the browser: start/resume, saving with and without JavaScript, finishing once,
the server's deadline, the review options, no leaks while an attempt is open, and who may see what.

The quiz course (tests/fixtures/courses/quiz-course) has a lesson and the quiz basics-quiz:
in English, in this order, principle (multichoice, right: Voluntariness), confidential
(true/false, right: false), stages (short answer "opening"), hours (numerical 72), match
(matching) and reflection (essay); time limit 600 s, 3 attempts, pass mark 60.
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import User, utcnow
from lms.courses import packages
from lms.courses.models import Activity, Course
from lms.enrollments.models import INSTRUCTOR, Enrollment
from lms.enrollments.services import active_enrollment, enroll, withdraw
from lms.extensions import db
from lms.progress.models import PASSED, Progress
from lms.quizzes import gift, services
from lms.quizzes.models import ABANDONED, FINISHED, IN_PROGRESS, OVERDUE, Attempt, Question, Response
from tests.conftest import FIXTURES, AuthActions, counting_statements, csrf_token

RIGHT = {
    "principle": "Voluntariness",
    "confidential": "false",
    "stages": "opening",
    "hours": "72",
    "reflection": "I would listen more.",
}
PAIRS = {
    "Caucus": "A private meeting with one party",
    "BATNA": "The best alternative to a negotiated agreement",
    "Reframing": "Restating a remark in neutral words",
}
# A quiz whose every secret carries a marker, to look for leaks.
SECRETS = """
::pick::Pick one {=RIGHTPICK#FEEDBACKRIGHTPICK ~WRONGPICK#FEEDBACKWRONGPICK ####GENERALFEEDBACKPICK}

::several::Pick the halves {~%50%HALFONE#FEEDBACKHALF ~%50%HALFTWO ~%-100%NEVERTHIS}

::short::Type the word {=SECRETSHORTWORD#FEEDBACKSHORT}

::num::Type the number {#4242:0#FEEDBACKNUM}

::tf::Say true {T#FEEDBACKTFWRONG#FEEDBACKTFRIGHT}
"""


# --- helpers ------------------------------------------------------------------------


@pytest.fixture
def quiz(app, create_user):
    """The quiz course with an instructor; returns the quiz activity's id."""
    instructor = create_user(role="instructor", name="Quiz Instructor")
    with app.app_context():
        report = packages.import_package(FIXTURES / "courses" / "quiz-course", app.extensions["lms_plugins"])
        enroll(db.session.get(User, instructor.id), report.course, role=INSTRUCTOR)
        db.session.commit()
        activity = db.session.scalar(select(Activity).where(Activity.slug == "basics-quiz"))
        quiz_id = activity.id
    return QuizInfo(quiz_id, instructor)


class QuizInfo:
    """The quiz's activity id, its instructor and its URLs."""

    def __init__(self, activity_id, instructor):
        self.id = activity_id
        self.instructor = instructor
        self.start = f"/quizzes/{activity_id}/start"
        self.page = "/courses/quiz-course/a/basics-quiz"


def set_settings(app, quiz, **settings):
    with app.app_context():
        activity = db.session.get(Activity, quiz.id)
        activity.settings = {**activity.settings, **settings}
        db.session.commit()


def use_questions(app, quiz, text):
    """Point the quiz's pool at the questions of GIFT `text`."""
    with app.app_context():
        activity = db.session.get(Activity, quiz.id)
        services.import_questions(activity.course, gift.parse(text), [f"custom-{len(text)}"])
        activity.settings = {**activity.settings, "pool": {"en": [f"custom-{len(text)}"]}}
        db.session.commit()


def enrolled_trainee(app, login_as, **kwargs):
    user = login_as("trainee", **kwargs)
    with app.app_context():
        enroll(db.session.get(User, user.id), db.session.scalar(select(Course).where(Course.slug == "quiz-course")))
        db.session.commit()
    return user


def start(client, quiz):
    response = client.post(quiz.start, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303, response.get_data(as_text=True)
    match = re.fullmatch(r".*/quizzes/attempts/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def html_of(response):
    return response.get_data(as_text=True)


def attempt_row(app, attempt_id):
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.expunge(attempt)
        return attempt


def slots_by_name(app, attempt_id):
    """{question name: (slot, question type, order, data)} of the attempt."""
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        result = {}
        for slot, entry in enumerate(attempt.layout):
            question = db.session.get(Question, entry["question"])
            result[question.name] = (slot, question.type, entry["order"], question.data)
        return result


def shown_position(data, order, text):
    """The position on the page of the answer `text` of a multichoice question."""
    original = next(index for index, answer in enumerate(data["answers"]) if answer["text"] == text)
    return order.index(original)


def right_form(app, attempt_id):
    """The attempt form filled with the right answers of the quiz course."""
    slots = slots_by_name(app, attempt_id)
    form = {"slots": [str(slot) for slot, _kind, _order, _data in slots.values()]}
    for name, (slot, kind, order, data) in slots.items():
        if kind == "multichoice":
            form[f"slot-{slot}"] = str(shown_position(data, order, RIGHT[name]))
        elif kind == "matching":
            for index, pair in enumerate(data["pairs"]):
                form[f"slot-{slot}-{index}"] = PAIRS[pair["question"]]
        else:
            form[f"slot-{slot}"] = RIGHT[name]
    return form


def post(client, path, data=None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)})


def put_answers(client, attempt_id, answers, token=None):
    return client.put(
        f"/quizzes/attempts/{attempt_id}/answers",
        json={"answers": answers},
        headers={"X-CSRFToken": token or csrf_token(client)},
    )


def set_deadline(app, attempt_id, seconds_from_now):
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline_at = utcnow() + timedelta(seconds=seconds_from_now)
        db.session.commit()


def finished_count(app, user):
    with app.app_context():
        return db.session.scalar(
            select(func.count(Attempt.id)).join(Attempt.enrollment)
            .where(Attempt.state == FINISHED, Enrollment.user_id == user.id)
        )


# --- start and resume -------------------------------------------------------------


def test_quiz_page_offers_start_then_resume(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    page = html_of(client.get(quiz.page))
    assert f'action="{quiz.start}"' in page and "Start the quiz" in page
    attempt_id = start(client, quiz)
    page = html_of(client.get(quiz.page))
    assert "Resume the attempt" in page
    assert f'href="/quizzes/attempts/{attempt_id}"' in page
    assert start(client, quiz) == attempt_id  # resuming, not a second attempt
    attempt = attempt_row(app, attempt_id)
    assert attempt.state == IN_PROGRESS and attempt.number == 1
    assert attempt.deadline_at is not None and len(attempt.layout) == 6


def test_start_needs_an_active_trainee_enrollment(app, client, auth, login_as, quiz):
    user = login_as("trainee")
    assert post(client, quiz.start).status_code == 403
    auth.logout()
    enrolled = enrolled_trainee(app, login_as)
    start(client, quiz)
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "quiz-course"))
        withdraw(active_enrollment(db.session.get(User, enrolled.id), course))
        db.session.commit()
    assert post(client, quiz.start).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 1
    assert user.id != enrolled.id


def test_start_refuses_a_locked_quiz(app, client, login_as, quiz):
    with app.app_context():
        db.session.get(Activity, quiz.id).prerequisites = ["intro"]
        db.session.commit()
    enrolled_trainee(app, login_as)
    assert post(client, quiz.start).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_staff_get_a_preview_and_nothing_is_recorded(app, client, auth, quiz):
    auth.login(quiz.instructor)
    page = html_of(client.get(quiz.page))
    assert "Preview the questions" in page
    response = post(client, quiz.start)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/quizzes/{quiz.id}/preview")
    preview = client.get(f"/quizzes/{quiz.id}/preview")
    assert preview.status_code == 200
    text = html_of(preview)
    assert "Which principle lets a party leave mediation" in text and "Voluntariness" in text
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 0
        assert db.session.scalar(select(func.count(Progress.id))) == 0


def test_trainees_cannot_open_the_preview(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    assert client.get(f"/quizzes/{quiz.id}/preview").status_code == 403


def test_attempts_limit(app, client, login_as, quiz):
    set_settings(app, quiz, attempts=1)
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    assert post(client, f"/quizzes/attempts/{attempt_id}/submit").status_code == 303
    refused = post(client, quiz.start)
    assert refused.status_code == 403
    assert "You have used all your attempts at this quiz." in html_of(refused)
    page = html_of(client.get(quiz.page))
    assert "You have used all your attempts at this quiz." in page
    assert f'href="/quizzes/attempts/{attempt_id}/review"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_a_second_attempt_after_finishing(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    first = start(client, quiz)
    post(client, f"/quizzes/attempts/{first}/submit")
    assert "Start a new attempt" in html_of(client.get(quiz.page))
    second = start(client, quiz)
    assert second != first and attempt_row(app, second).number == 2


# --- the attempt page -------------------------------------------------------------


def test_attempt_page_renders_every_type(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    response = client.get(f"/quizzes/attempts/{attempt_id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = html_of(response)
    slots = slots_by_name(app, attempt_id)
    principle = slots["principle"][0]
    assert len(re.findall(rf'type="radio" id="slot-{principle}-\d" name="slot-{principle}"', page)) == 3
    assert f'name="slot-{slots["confidential"][0]}" value="true"' in page
    assert f'type="text" id="slot-{slots["stages"][0]}"' in page
    assert 'inputmode="decimal"' in page
    assert f'<textarea id="slot-{slots["reflection"][0]}"' in page
    match = slots["match"][0]
    assert len(re.findall(rf'<select id="slot-{match}-\d"', page)) == 3
    assert page.count('value="A private meeting with one party"') == 3
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">', page)
    remaining = int(re.search(r'data-remaining="(\d+)"', page).group(1))
    assert 590 <= remaining <= 600
    assert 'role="status" aria-live="polite"' in page
    assert 'data-save-url="/quizzes/attempts/%d/answers"' % attempt_id in page


def test_text_is_sanitised_by_format(app, client, login_as, quiz):
    use_questions(app, quiz, (
        "::html::[html]<b>Bold</b><script>alert(1)</script><img src=x onerror=alert(2)> {=<i>yes</i> ~<em>no</em>}\n\n"
        "::md::[markdown]**Strong** <script>alert(3)</script> {T}\n\n"
        "::plain::[plain]<b>not bold</b> {=x}\n"
    ))
    enrolled_trainee(app, login_as)
    page = html_of(client.get(f"/quizzes/attempts/{start(client, quiz)}"))
    assert "<b>Bold</b>" in page and "<i>yes</i>" in page and "<strong>Strong</strong>" in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page
    assert "<script>alert" not in page and "onerror" not in page


def test_multichoice_answers_are_shuffled_per_attempt_and_saved_unshuffled(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    slot, _kind, order, data = slots_by_name(app, attempt_id)["principle"]
    shown = shown_position(data, order, "Voluntariness")
    response = put_answers(client, attempt_id, {str(slot): str(shown)})
    assert response.status_code == 200 and response.get_json()["saved"] is True
    with app.app_context():
        saved = db.session.scalar(select(Response).where(Response.attempt_id == attempt_id, Response.slot == slot))
        assert saved.answer == 0  # Voluntariness is the question's first answer
    page = html_of(client.get(f"/quizzes/attempts/{attempt_id}"))
    assert f'id="slot-{slot}-{shown}" name="slot-{slot}" value="{shown}" checked' in page


# --- saving -----------------------------------------------------------------------


def test_save_with_javascript_every_type(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    slots = slots_by_name(app, attempt_id)
    answers = {
        str(slots["confidential"][0]): "false",
        str(slots["stages"][0]): "opening",
        str(slots["hours"][0]): "72",
        str(slots["match"][0]): {"0": PAIRS["Caucus"], "1": "", "2": PAIRS["Reframing"]},
        str(slots["reflection"][0]): "Line one\nline two",
    }
    response = put_answers(client, attempt_id, answers)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"saved", "state", "saved_at", "remaining"} and body["state"] == IN_PROGRESS
    with app.app_context():
        saved = {r.slot: r.answer for r in db.session.scalars(select(Response).where(Response.attempt_id == attempt_id))}
    assert saved[slots["confidential"][0]] is False
    assert saved[slots["hours"][0]] == "72"
    assert saved[slots["match"][0]] == {"0": PAIRS["Caucus"], "2": PAIRS["Reframing"]}
    page = html_of(client.get(f"/quizzes/attempts/{attempt_id}"))
    assert 'value="false" checked' in page and 'value="opening"' in page and "Line one\nline two</textarea>" in page
    assert f'<option value="{PAIRS["Reframing"]}" selected>' in page


def test_save_without_javascript(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    form = right_form(app, attempt_id)
    response = post(client, f"/quizzes/attempts/{attempt_id}/save", form)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}")
    page = html_of(client.get(f"/quizzes/attempts/{attempt_id}"))
    assert "Your answers are saved." in page
    assert 'value="opening"' in page and "I would listen more.</textarea>" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id)).where(Response.attempt_id == attempt_id)) == 6
        assert db.session.get(Attempt, attempt_id).state == IN_PROGRESS


@pytest.mark.parametrize("answers", [
    {"99": "x"},
    {"abc": "x"},
    {"0": "7"},  # no such choice
    {"0": ["0"]},  # a list for a single choice
    {"1": "maybe"},
    {"4": {"0": "an answer that is not offered"}},
    {"4": "text"},
    {"2": {"a": 1}},
])
def test_bad_answers_are_refused_with_400(app, client, login_as, quiz, answers):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    response = put_answers(client, attempt_id, answers)
    assert response.status_code == 400 and response.get_json()["error"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id)).where(Response.attempt_id == attempt_id)) == 0


def test_bad_json_body_is_400(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    token = csrf_token(client)
    for body in ("not json", "[1, 2]", '{"answers": 3}'):
        response = client.put(f"/quizzes/attempts/{attempt_id}/answers", data=body,
                              headers={"X-CSRFToken": token, "Content-Type": "application/json"})
        assert response.status_code == 400


def test_save_needs_the_csrf_token(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    response = client.put(f"/quizzes/attempts/{attempt_id}/answers", json={"answers": {"2": "x"}})
    assert response.status_code == 400
    assert post(client, f"/quizzes/attempts/{attempt_id}/save").status_code == 303
    assert client.post(f"/quizzes/attempts/{attempt_id}/submit").status_code == 400
    assert attempt_row(app, attempt_id).state == IN_PROGRESS


def test_resume_on_another_device(app, client, login_as, quiz):
    user = enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    slot = slots_by_name(app, attempt_id)["stages"][0]
    assert put_answers(client, attempt_id, {str(slot): "opening"}).status_code == 200
    phone = app.test_client()
    assert AuthActions(phone).login(user).status_code == 302
    assert start(phone, quiz) == attempt_id
    page = html_of(phone.get(f"/quizzes/attempts/{attempt_id}"))
    assert f'id="slot-{slot}" name="slot-{slot}" value="opening"' in page


# --- finishing --------------------------------------------------------------------


def test_finish_saves_the_form_then_grades(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    response = post(client, f"/quizzes/attempts/{attempt_id}/submit", right_form(app, attempt_id))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}/review")
    attempt = attempt_row(app, attempt_id)
    assert attempt.state == FINISHED and attempt.score == 5 and attempt.max_score == 6 and attempt.needs_grading
    review = html_of(client.get(f"/quizzes/attempts/{attempt_id}/review"))
    assert "5 / 6 (83%)" in review
    with app.app_context():
        progress = db.session.scalar(select(Progress).where(Progress.activity_id == quiz.id))
        assert progress.status == PASSED and progress.attempts == 1
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "quiz.attempt_graded")) == 1
    # the attempt page of a finished attempt leads to its review
    assert client.get(f"/quizzes/attempts/{attempt_id}").headers["Location"].endswith("/review")


def test_double_submit_grades_once_and_answers_409(app, client, login_as, quiz):
    user = enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    form = right_form(app, attempt_id)
    assert post(client, f"/quizzes/attempts/{attempt_id}/submit", form).status_code == 303
    again = post(client, f"/quizzes/attempts/{attempt_id}/submit", {**form, f"slot-{slots_by_name(app, attempt_id)['stages'][0]}": "wrong"})
    assert again.status_code == 409
    page = html_of(again)
    assert "This attempt has already been submitted" in page
    assert f'href="/quizzes/attempts/{attempt_id}/review"' in page
    assert finished_count(app, user) == 1
    assert attempt_row(app, attempt_id).score == 5  # the replay changed nothing
    with app.app_context():
        assert db.session.scalar(select(Progress.attempts).where(Progress.activity_id == quiz.id)) == 1
    stale_save = post(client, f"/quizzes/attempts/{attempt_id}/save", form)
    assert stale_save.status_code == 409
    assert put_answers(client, attempt_id, {"2": "x"}).status_code == 409


# --- the clock ----------------------------------------------------------------------


def test_save_after_the_deadline_is_refused(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    slot = slots_by_name(app, attempt_id)["stages"][0]
    assert put_answers(client, attempt_id, {str(slot): "before"}).status_code == 200
    set_deadline(app, attempt_id, -5)  # within the 60 s grace
    response = put_answers(client, attempt_id, {str(slot): "after"})
    assert response.status_code == 409 and response.get_json()["state"] == OVERDUE
    refused = post(client, f"/quizzes/attempts/{attempt_id}/save", {f"slot-{slot}": "after"})
    assert refused.status_code == 409 and "The time for this attempt is up" in html_of(refused)
    page = html_of(client.get(f"/quizzes/attempts/{attempt_id}"))
    assert "The time is up: submit now." in page
    assert 'name="slot-' not in page and "Finish attempt" not in page and "Submit now" in page
    # the submit of an overdue attempt keeps the answers saved in time, not the form's
    assert post(client, f"/quizzes/attempts/{attempt_id}/submit", {f"slot-{slot}": "opening"}).status_code == 303
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.state == FINISHED
        assert next(r for r in attempt.responses if r.slot == slot).answer == "before"


@pytest.mark.parametrize("overdue, state", [("submit", FINISHED), ("discard", ABANDONED)])
def test_submit_after_the_grace_period(app, client, login_as, quiz, overdue, state):
    set_settings(app, quiz, overdue=overdue)
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    slot = slots_by_name(app, attempt_id)["stages"][0]
    put_answers(client, attempt_id, {str(slot): "opening"})
    set_deadline(app, attempt_id, -120)  # deadline and 60 s grace both past
    response = post(client, f"/quizzes/attempts/{attempt_id}/submit", right_form(app, attempt_id))
    assert response.status_code == 303 and response.headers["Location"].endswith("/review")
    attempt = attempt_row(app, attempt_id)
    assert attempt.state == state
    if state == FINISHED:
        assert attempt.score == 1  # only the answer saved in time
    review = html_of(client.get(f"/quizzes/attempts/{attempt_id}/review"))
    if state == ABANDONED:
        assert "This attempt was not submitted in time and does not count." in review
    assert post(client, f"/quizzes/attempts/{attempt_id}/submit").status_code == 409


def test_an_overdue_attempt_is_closed_when_opened(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    set_deadline(app, attempt_id, -3600)
    response = client.get(f"/quizzes/attempts/{attempt_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")
    assert attempt_row(app, attempt_id).state == FINISHED


def test_close_overdue_command(app, client, login_as, runner, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    set_deadline(app, attempt_id, -3600)
    result = runner.invoke(args=["lms", "quizzes", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert "Closed 1 overdue attempt(s)." in result.output
    assert attempt_row(app, attempt_id).state == FINISHED


# --- no leaks while open, and the review options -----------------------------------


def test_nothing_reveals_the_answers_while_an_attempt_is_open(app, client, login_as, quiz):
    use_questions(app, quiz, SECRETS)
    set_settings(app, quiz, review_score="immediately", review_correct="immediately", review_feedback="immediately")
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    slots = slots_by_name(app, attempt_id)
    answers = {
        str(slots["pick"][0]): str(shown_position(slots["pick"][3], slots["pick"][2], "RIGHTPICK")),
        str(slots["short"][0]): "SECRETSHORTWORD",
        str(slots["num"][0]): "4242",
        str(slots["tf"][0]): "true",
    }
    saved = put_answers(client, attempt_id, answers)
    assert saved.status_code == 200
    page = html_of(client.get(f"/quizzes/attempts/{attempt_id}"))
    saved_json = saved.get_data(as_text=True)
    for marker in ("FEEDBACK", "fraction", "right-choice", "tag-right", "outcome", "Correct", "score"):
        assert marker not in page, marker
        assert marker not in saved_json, marker
    assert "GENERALFEEDBACKPICK" not in page
    # the answers typed come back, but nothing says whether they are right
    assert page.count("SECRETSHORTWORD") == 1 and page.count("4242") == 1
    quiz_page = html_of(client.get(quiz.page))
    assert "FEEDBACK" not in quiz_page and "Your grade" not in quiz_page
    # the review of an open attempt leads back to the attempt
    assert client.get(f"/quizzes/attempts/{attempt_id}/review").headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}")
    post(client, f"/quizzes/attempts/{attempt_id}/submit")
    review = html_of(client.get(f"/quizzes/attempts/{attempt_id}/review"))
    for marker in ("FEEDBACKRIGHTPICK", "GENERALFEEDBACKPICK", "FEEDBACKSHORT", "FEEDBACKNUM", "FEEDBACKTFRIGHT", "right-choice"):
        assert marker in review, marker
    assert "FEEDBACKWRONGPICK" not in review and "FEEDBACKTFWRONG" not in review


def review_page(app, client, login_as, quiz, **settings):
    use_questions(app, quiz, SECRETS)
    set_settings(app, quiz, **settings)
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    slots = slots_by_name(app, attempt_id)
    put_answers(client, attempt_id, {str(slots["short"][0]): "SECRETSHORTWORD", str(slots["tf"][0]): "false"})
    post(client, f"/quizzes/attempts/{attempt_id}/submit")
    response = client.get(f"/quizzes/attempts/{attempt_id}/review")
    assert response.status_code == 200
    return html_of(response)


def test_review_shows_everything_when_allowed(app, client, login_as, quiz):
    page = review_page(app, client, login_as, quiz, review_score="immediately", review_correct="immediately",
                       review_feedback="immediately")
    assert "1 / 5 (20%)" in page and "Mark: 1 out of 1" in page
    assert "Correct" in page and "Incorrect" in page and "right answer" in page and "4242" in page
    assert "FEEDBACKSHORT" in page and "FEEDBACKTFWRONG" in page and "GENERALFEEDBACKPICK" in page


def test_review_shows_nothing_when_never(app, client, login_as, quiz):
    page = review_page(app, client, login_as, quiz, review_score="never", review_correct="never", review_feedback="never")
    assert "1 / 5" not in page and "Mark:" not in page and "Your grade is not shown yet." in page
    assert "Correct" not in page and "right answer" not in page and "4242" not in page
    assert "FEEDBACK" not in page
    assert "SECRETSHORTWORD" in page  # the learner's own answer
    assert "Your grade" not in html_of(client.get(quiz.page))


def test_review_after_close_waits_for_the_close_date(app, client, login_as, quiz):
    later = (utcnow() + timedelta(days=1)).isoformat()
    page = review_page(app, client, login_as, quiz, review_score="after_close", review_correct="after_close",
                       review_feedback="immediately", close_at=later)
    assert "1 / 5" not in page and "right answer" not in page
    assert "FEEDBACKSHORT" in page
    set_settings(app, quiz, close_at=(utcnow() - timedelta(minutes=1)).isoformat())
    attempt_id = int(re.search(r"/quizzes/attempts/(\d+)", html_of(client.get(quiz.page))).group(1))
    page = html_of(client.get(f"/quizzes/attempts/{attempt_id}/review"))
    assert "1 / 5 (20%)" in page and "right answer" in page


# --- who may see what -------------------------------------------------------------


def test_other_trainees_get_404(app, client, auth, login_as, create_user, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    auth.logout()
    enrolled_trainee(app, login_as)  # another trainee of the same course
    assert client.get(f"/quizzes/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/quizzes/attempts/{attempt_id}/review").status_code == 404
    assert put_answers(client, attempt_id, {"2": "x"}).status_code == 404
    assert post(client, f"/quizzes/attempts/{attempt_id}/save", {"slot-2": "x"}).status_code == 404
    assert post(client, f"/quizzes/attempts/{attempt_id}/submit").status_code == 404
    assert client.get("/quizzes/attempts/999999").status_code == 404
    assert attempt_row(app, attempt_id).state == IN_PROGRESS


def test_staff_read_any_attempt_but_change_none(app, client, auth, login_as, quiz):
    user = enrolled_trainee(app, login_as, name="Aliya Learner")
    attempt_id = start(client, quiz)
    slot = slots_by_name(app, attempt_id)["stages"][0]
    put_answers(client, attempt_id, {str(slot): "opening"})
    auth.logout()
    auth.login(quiz.instructor)
    assert client.get(f"/quizzes/attempts/{attempt_id}").headers["Location"].endswith("/review")
    review = client.get(f"/quizzes/attempts/{attempt_id}/review")
    assert review.status_code == 200
    page = html_of(review)
    assert "Aliya Learner" in page and "read-only" in page and 'value="opening"' in page
    assert put_answers(client, attempt_id, {str(slot): "x"}).status_code == 403
    assert post(client, f"/quizzes/attempts/{attempt_id}/save").status_code == 403
    assert post(client, f"/quizzes/attempts/{attempt_id}/submit").status_code == 403
    assert attempt_row(app, attempt_id).state == IN_PROGRESS
    # an instructor of another course is nobody here
    auth.logout()
    login_as("instructor")
    assert client.get(f"/quizzes/attempts/{attempt_id}/review").status_code == 404
    assert user


def test_anonymous_visitors_are_sent_to_sign_in(app, client, auth, login_as, quiz):
    enrolled_trainee(app, login_as)
    attempt_id = start(client, quiz)
    token = csrf_token(client)
    auth.logout()
    for path in (f"/quizzes/attempts/{attempt_id}", f"/quizzes/attempts/{attempt_id}/review", f"/quizzes/{quiz.id}/preview"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert post(client, quiz.start).status_code == 302
    response = put_answers(client, attempt_id, {"2": "x"}, token=csrf_token(client))
    assert response.status_code == 401 and response.get_json()["error"]
    assert token


def test_hidden_or_missing_quizzes_are_404(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    with app.app_context():
        lesson = db.session.scalar(select(Activity).where(Activity.slug == "intro"))
        lesson_id = lesson.id
    assert post(client, f"/quizzes/{lesson_id}/start").status_code == 404
    assert post(client, "/quizzes/999999/start").status_code == 404


# --- statement counts ----------------------------------------------------------------


def attempt_page_statements(app, client, quiz, text):
    use_questions(app, quiz, text)
    attempt_id = start(client, quiz)
    slots = slots_by_name(app, attempt_id)
    put_answers(client, attempt_id, {str(slot): "x" for slot, kind, _o, _d in slots.values() if kind == "shortanswer"})
    client.get(f"/quizzes/attempts/{attempt_id}")
    with counting_statements(app) as statements:
        response = client.get(f"/quizzes/attempts/{attempt_id}")
    assert response.status_code == 200
    assert any("FROM quiz_responses" in statement for statement in statements)  # the listener sees the page's queries
    post(client, f"/quizzes/attempts/{attempt_id}/submit")
    return len(statements)


def test_attempt_page_statements_do_not_grow_with_questions(app, client, login_as, quiz):
    enrolled_trainee(app, login_as)
    small = attempt_page_statements(app, client, quiz, "::a::One? {=yes}\n\n::b::Two? {T}\n")
    many = "\n\n".join(f"::q{n}::Question {n}? {{=answer{n}}}" for n in range(20))
    large = attempt_page_statements(app, client, quiz, many + "\n\n::m::Match {=a -> b =c -> d}\n")
    assert small == large
