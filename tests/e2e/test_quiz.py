"""A trainee takes the timed quiz of quiz-course in Chromium: answers are saved as they go,
survive a lost connection and a reload, and the attempt is graded exactly once.

The live server's demo data imports tests/fixtures/courses, so quiz-course and its quiz
basics-quiz (600 s, 3 attempts) exist.
"""
import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.auth.models import User
from lms.courses.models import Activity
from lms.enrollments.models import Enrollment
from lms.extensions import db
from lms.quizzes.models import FINISHED, Attempt
from tests.e2e.conftest import TRAINEE_PASSWORD, add_trainee, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def trainee(live_server):
    email = f"quiz-taker-{uuid.uuid4().hex[:8]}@example.kz"
    add_trainee(live_server, email, "Quiz Taker")
    return email


def attempts_of(live_server, email):
    with live_server.app.app_context():
        return [
            (attempt.state, attempt.score)
            for attempt in db.session.scalars(
                select(Attempt).join(Enrollment, Attempt.enrollment_id == Enrollment.id)
                .join(User, Enrollment.user_id == User.id).where(User.email == email)
            )
        ]


def test_trainee_takes_a_quiz_offline_and_online_and_is_graded_once(new_context, live_server, trainee):
    text = lambda message, **variables: live_server.text("en", message, **variables)  # noqa: E731
    context = new_context()
    page = context.new_page()
    sign_in(page, trainee, TRAINEE_PASSWORD)
    page.goto("/courses/quiz-course")
    page.get_by_role("button", name=text("Enroll"), exact=True).click()
    expect(page.locator(".flash")).to_have_text(text("You are enrolled in %(title)s.", title="Quiz course"))

    page.goto("/courses/quiz-course/a/basics-quiz")
    page.get_by_role("button", name=text("Start the quiz")).click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+$"))
    attempt_url = page.url
    countdown = page.locator(".js-quiz-countdown")
    expect(countdown).to_have_text(re.compile(r"^(10:00|9:[0-5]\d)$"))
    expect(page.locator(".quiz-timer time")).to_have_attribute("datetime", re.compile(r"Z$"))
    status = page.locator(".js-quiz-status")

    principle = page.locator("fieldset", has_text="Which principle")
    principle.get_by_label("Voluntariness").check()
    expect(status).to_have_text(text("Saved"))
    stages = page.locator("fieldset", has_text="first stage").get_by_label(text("Your answer"))
    stages.fill("opening")
    expect(status).to_have_text(text("Saved"))

    context.set_offline(True)
    stages.fill("opening statement")
    expect(status).to_have_text(text("Not saved - retrying"))
    context.set_offline(False)
    expect(status).to_have_text(text("Saved"))

    page.reload()
    expect(page.locator("fieldset", has_text="Which principle").get_by_label("Voluntariness")).to_be_checked()
    expect(page.locator("fieldset", has_text="first stage").get_by_label(text("Your answer"))).to_have_value("opening statement")
    truth = page.locator("fieldset", has_text="repeated in court")
    truth.get_by_label(text("False")).check()
    expect(status).to_have_text(text("Saved"))

    stale = context.new_page()  # the same attempt in another tab: a form that will be stale
    stale.goto(attempt_url)
    page.get_by_role("button", name=text("Finish attempt")).click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+/review$"))
    expect(page.locator(".quiz-grade")).to_have_text("3 / 6 (50%)")
    assert attempts_of(live_server, trainee) == [(FINISHED, 3.0)]

    # Back leads to the attempt, which the server now answers with its review: no form to send again.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+/review$"))
    # The old copy of the form submits again: 409, the way to the review, and still one graded attempt.
    stale.get_by_role("button", name=text("Finish attempt")).click()
    expect(stale.locator("main h1")).to_have_text(text("This attempt has already been submitted"))
    stale.get_by_role("link", name=text("See the review of the attempt")).click()
    expect(stale.locator(".quiz-grade")).to_have_text("3 / 6 (50%)")
    assert attempts_of(live_server, trainee) == [(FINISHED, 3.0)]


@pytest.fixture
def short_quiz(live_server):
    """The quiz with a time limit of a few seconds, for this test only."""
    with live_server.app.app_context():
        activity = db.session.scalar(select(Activity).where(Activity.slug == "basics-quiz"))
        original = dict(activity.settings)
        activity.settings = {**original, "time_limit": 4}
        db.session.commit()
    yield
    with live_server.app.app_context():
        db.session.scalar(select(Activity).where(Activity.slug == "basics-quiz")).settings = original
        db.session.commit()


def test_the_countdown_submits_the_attempt_at_zero(new_context, live_server, trainee, short_quiz):
    text = lambda message, **variables: live_server.text("en", message, **variables)  # noqa: E731
    page = new_context().new_page()
    sign_in(page, trainee, TRAINEE_PASSWORD)
    page.goto("/courses/quiz-course")
    page.get_by_role("button", name=text("Enroll"), exact=True).click()
    page.goto("/courses/quiz-course/a/basics-quiz")
    page.get_by_role("button", name=text("Start the quiz")).click()
    page.locator("fieldset", has_text="Which principle").get_by_label("Voluntariness").check()
    expect(page.locator(".js-quiz-status")).to_have_text(text("Saved"))
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+/review$"), timeout=15_000)
    expect(page.locator(".quiz-grade")).to_have_text("1 / 6 (17%)")
    assert attempts_of(live_server, trainee) == [(FINISHED, 1.0)]
