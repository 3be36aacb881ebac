"""The grading queue: essays of the courses one teaches (and of every course for administrators),
grading an essay (score, progress, audit), kinds that plugins add, access and statement counts."""
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth.models import User, utcnow
from lms.courses import packages
from lms.courses.models import Activity, Course
from lms.enrollments import services as enrollments
from lms.enrollments.models import Enrollment
from lms.extensions import db
from lms.progress.models import FAILED, IN_PROGRESS, PASSED, Progress
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, Response
from tests.conftest import FIXTURES, counting_statements, csrf_token
from tests.lms.test_plugins import example_app, example_installed, sign_in  # noqa: F401 (fixtures)

COURSE, OTHER = "quiz-course", "other-quiz-course"
QUIZ = "basics-quiz"
ESSAY_SLOT = 5  # the quiz file's questions in order: principle, confidential, stages, hours, match, reflection
RIGHT = {"0": 0, "1": False, "2": "opening"}  # three of six right: 50%, below the pass mark of 60%


# --- helpers ------------------------------------------------------------------------------


def import_course(app, tmp_path, slug=COURSE):
    """The quiz course package, under another slug if asked; answers shown in the file's order."""
    source = FIXTURES / "courses" / "quiz-course"
    if slug != COURSE:
        copy = tmp_path / slug
        shutil.copytree(source, copy)
        manifest = copy / "course.toml"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace(f'slug = "{COURSE}"', f'slug = "{slug}"'),
                            encoding="utf-8")
        source = copy
    with app.app_context():
        packages.import_package(source, app.extensions["lms_plugins"])
        quiz = quiz_in(slug)
        quiz.settings = {**quiz.settings, "shuffle_answers": False}
        db.session.commit()
    return slug


def course_named(slug):
    return db.session.scalar(select(Course).where(Course.slug == slug))


def quiz_in(slug):
    return db.session.scalar(select(Activity).join(Course).where(Course.slug == slug, Activity.slug == QUIZ))


def enroll(app, user, slug, role="trainee"):
    with app.app_context():
        enrollment = enrollments.enroll(db.session.get(User, user.id), course_named(slug), role=role)
        db.session.commit()
        return enrollment.id


def add_learner(app, slug, name, email=None):
    """A trainee (no password: never signs in) enrolled in the course; the enrollment id."""
    with app.app_context():
        user = User(email=email or f"{name.lower().replace(' ', '.')}@example.kz", name=name)
        db.session.add(user)
        db.session.flush()
        enrollment = Enrollment(user=user, course=course_named(slug))
        db.session.add(enrollment)
        db.session.commit()
        return enrollment.id


def submit_attempt(app, enrollment_id, slug, answers, finished_at=None):
    """Start, answer and submit an attempt; the attempt id."""
    with app.app_context():
        enrollment = db.session.get(Enrollment, enrollment_id)
        now = finished_at or utcnow()
        attempt = quizzes.start_or_resume(enrollment, quiz_in(slug), "en", now=now - timedelta(minutes=5))
        quizzes.save_answers(attempt, answers, now=now - timedelta(minutes=1))
        quizzes.submit(attempt, now=now)
        db.session.commit()
        return attempt.id


def essay_of(app, attempt_id):
    with app.app_context():
        return db.session.scalar(select(Response.id).where(Response.attempt_id == attempt_id, Response.slot == ESSAY_SLOT))


def learner_with_essay(app, slug, name, text="My essay", finished_at=None, right=RIGHT):
    enrollment_id = add_learner(app, slug, name)
    attempt_id = submit_attempt(app, enrollment_id, slug, {**right, str(ESSAY_SLOT): text}, finished_at)
    return enrollment_id, attempt_id, essay_of(app, attempt_id)


def grading_url(response_id):
    return f"/grading/essays/{response_id}"


def post(client, path, data=None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)})


@pytest.fixture
def courses(app, tmp_path):
    import_course(app, tmp_path)
    import_course(app, tmp_path, OTHER)
    return COURSE, OTHER


@pytest.fixture
def teacher(app, courses, login_as):
    """A site instructor signed in, teaching the quiz course (not the other one)."""
    user = login_as("instructor")
    enroll(app, user, COURSE, role="instructor")
    return user


# --- the queue ----------------------------------------------------------------------------


def test_the_queue_lists_the_essays_of_my_courses_only_oldest_first(app, client, teacher):
    now = utcnow().replace(microsecond=0)
    learner_with_essay(app, COURSE, "Aigerim Later", finished_at=now - timedelta(hours=1))
    learner_with_essay(app, COURSE, "Bolat Earlier", finished_at=now - timedelta(days=1))
    learner_with_essay(app, OTHER, "Foreign Learner")
    response = client.get("/grading/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Foreign Learner" not in html
    assert html.index("Bolat Earlier") < html.index("Aigerim Later")
    assert "Quiz: the basics: reflection" in html
    assert "Quiz essays" in html
    assert "2 items wait for a grade" in html


def test_a_graded_essay_and_an_unfinished_attempt_are_not_listed(app, client, teacher):
    _enrollment, _attempt, response_id = learner_with_essay(app, COURSE, "Graded Learner")
    with app.app_context():
        quizzes.grade_response(db.session.get(Response, response_id), 1, "", db.session.get(User, teacher.id))
        db.session.commit()
    enrollment_id = add_learner(app, COURSE, "Still Writing")
    with app.app_context():
        attempt = quizzes.start_or_resume(db.session.get(Enrollment, enrollment_id), quiz_in(COURSE), "en")
        quizzes.save_answers(attempt, {str(ESSAY_SLOT): "draft"})
        db.session.commit()
    html = client.get("/grading/").get_data(as_text=True)
    assert "Graded Learner" not in html and "Still Writing" not in html
    assert "Nothing waits for a grade." in html


def test_administrators_see_every_course_and_filter_by_course_and_kind(app, client, courses, login_as):
    learner_with_essay(app, COURSE, "Mine Learner")
    learner_with_essay(app, OTHER, "Other Learner")
    login_as("admin")
    html = client.get("/grading/").get_data(as_text=True)
    assert "Mine Learner" in html and "Other Learner" in html
    with app.app_context():
        other_id = course_named(OTHER).id
    html = client.get(f"/grading/?course={other_id}").get_data(as_text=True)
    assert "Other Learner" in html and "Mine Learner" not in html
    html = client.get("/grading/?kind=quiz.essay").get_data(as_text=True)
    assert "Mine Learner" in html
    assert client.get("/grading/?kind=nonsense").status_code == 400
    assert client.get("/grading/?course=999999").status_code == 400


def test_an_instructor_cannot_filter_to_a_course_they_do_not_teach(app, client, teacher):
    learner_with_essay(app, OTHER, "Other Learner")
    with app.app_context():
        other_id = course_named(OTHER).id
    response = client.get(f"/grading/?course={other_id}")
    assert response.status_code == 400
    assert "Other Learner" not in response.get_data(as_text=True)


def test_the_navigation_shows_grading_to_those_who_teach(app, client, courses, login_as, auth):
    login_as("trainee")
    assert 'href="/grading/"' not in client.get("/account/profile").get_data(as_text=True)
    auth.logout()
    user = login_as("instructor")
    assert 'href="/grading/"' not in client.get("/account/profile").get_data(as_text=True)  # teaches nothing yet
    enroll(app, user, COURSE, role="instructor")
    assert 'href="/grading/"' in client.get("/account/profile").get_data(as_text=True)
    auth.logout()
    login_as("admin")
    assert 'href="/grading/"' in client.get("/account/profile").get_data(as_text=True)


def test_the_queue_takes_the_same_statements_however_many_essays(app, client, teacher):
    learner_with_essay(app, COURSE, "First Learner")
    client.get("/grading/")
    with counting_statements(app) as few:
        assert client.get("/grading/").status_code == 200
    for number in range(8):
        learner_with_essay(app, COURSE, f"Learner {number}")
        learner_with_essay(app, OTHER, f"Other {number}")
    with counting_statements(app) as many:
        html = client.get("/grading/").get_data(as_text=True)
    assert "9 items wait for a grade" in html
    assert any("quiz_responses" in statement for statement in few)
    assert len(many) == len(few), many


# --- grading an essay ---------------------------------------------------------------------


def progress_of(app, enrollment_id, slug=COURSE):
    with app.app_context():
        return db.session.scalar(
            select(Progress).where(Progress.enrollment_id == enrollment_id, Progress.activity_id == quiz_in(slug).id)
        )


def attempt_row(app, attempt_id):
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.expunge(attempt)
        return attempt


def test_the_grading_page_shows_the_question_and_the_answer_escaped(app, client, teacher):
    _enrollment, _attempt, response_id = learner_with_essay(
        app, COURSE, "Dana Writer", text="I listened.\n<script>alert(1)</script><b>bold</b>"
    )
    response = client.get(grading_url(response_id))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Describe a conflict you mediated and what you would do differently." in html
    assert "I listened." in html
    assert "<script>alert(1)</script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Dana Writer" in html
    assert "From 0 to 1." in html


def test_grading_updates_the_score_and_passes_the_learner(app, client, teacher):
    enrollment_id, attempt_id, response_id = learner_with_essay(app, COURSE, "Erlan Passer")
    before = attempt_row(app, attempt_id)
    assert (before.score, before.max_score, before.needs_grading) == (3, 6, True)
    assert progress_of(app, enrollment_id).status == IN_PROGRESS  # 50% with an essay pending: not failed yet
    response = post(client, grading_url(response_id), {"mark": "1", "comment": "Thoughtful."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/grading/")
    after = attempt_row(app, attempt_id)
    assert (after.score, after.needs_grading) == (4, False)
    row = progress_of(app, enrollment_id)
    assert row.status == PASSED
    assert row.score == pytest.approx(66.67)
    with app.app_context():
        graded = db.session.get(Response, response_id)
        assert (graded.mark, graded.fraction, graded.comment, graded.graded_by_id) == (1, 1, "Thoughtful.", teacher.id)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "quiz.response_graded"))
        assert entry.actor_id == teacher.id
        assert entry.target == f"attempt:{attempt_id}:{ESSAY_SLOT}"
        assert entry.details == {"mark": 1.0}
    html = client.get("/grading/").get_data(as_text=True)
    assert "The grade for Erlan Passer has been saved." in html
    assert "Nothing waits for a grade." in html


def test_a_zero_mark_fails_the_learner(app, client, teacher):
    enrollment_id, attempt_id, response_id = learner_with_essay(app, COURSE, "Gulnar Failer")
    assert post(client, grading_url(response_id), {"mark": "0"}).status_code == 302
    assert attempt_row(app, attempt_id).score == 3
    assert progress_of(app, enrollment_id).status == FAILED


@pytest.mark.parametrize("mark", ["2", "-1", "abc", "", "nan", "inf"])
def test_a_bad_mark_is_refused_with_a_message_and_changes_nothing(app, client, teacher, mark):
    _enrollment, attempt_id, response_id = learner_with_essay(app, COURSE, "Hasan Waiting")
    response = post(client, grading_url(response_id), {"mark": mark})
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert attempt_row(app, attempt_id).needs_grading is True
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "quiz.response_graded")) is None


def test_only_essays_of_finished_attempts_have_a_grading_page(app, client, teacher):
    _enrollment, attempt_id, _response = learner_with_essay(app, COURSE, "Ivan Chooser")
    with app.app_context():
        choice = db.session.scalar(select(Response.id).where(Response.attempt_id == attempt_id, Response.slot == 0))
    assert client.get(grading_url(choice)).status_code == 404
    assert client.get(grading_url(999999)).status_code == 404


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who, queue, essay", [
    ("anonymous", 302, 302),
    ("trainee", 403, 403),  # the essay's own author included
    ("instructor elsewhere", 200, 403),
    ("instructor teaching nothing", 403, 403),
    ("course instructor", 200, 200),
    ("admin", 200, 200),
])
def test_access(app, client, courses, login_as, who, queue, essay):
    _enrollment, attempt_id, response_id = learner_with_essay(app, COURSE, "Access Learner")
    if who == "trainee":
        user = login_as("trainee")
        with app.app_context():  # sign in as the essay's author: give the enrollment to this user
            db.session.get(Attempt, attempt_id).enrollment.user_id = user.id
            db.session.commit()
    elif who == "instructor elsewhere":
        enroll(app, login_as("instructor"), OTHER, role="instructor")
    elif who == "instructor teaching nothing":
        enroll(app, login_as("instructor"), COURSE, role="trainee")
    elif who == "course instructor":
        enroll(app, login_as("trainee"), COURSE, role="instructor")  # the course role counts, not the site role
    elif who == "admin":
        login_as("admin")
    assert client.get("/grading/").status_code == queue
    assert client.get(grading_url(response_id)).status_code == essay
    if who == "anonymous":
        return
    response = post(client, grading_url(response_id), {"mark": "1"})
    assert response.status_code == (302 if essay == 200 else essay)
    assert attempt_row(app, attempt_id).needs_grading is (essay != 200)


def test_a_withdrawn_instructor_loses_access(app, client, teacher):
    _enrollment, _attempt, response_id = learner_with_essay(app, COURSE, "Kamila Learner")
    with app.app_context():
        enrollments.withdraw(db.session.scalar(select(Enrollment).where(Enrollment.user_id == teacher.id)))
        db.session.commit()
    assert client.get("/grading/").status_code == 403
    assert client.get(grading_url(response_id)).status_code == 403


# --- kinds from plugins ----------------------------------------------------------------------


def test_the_core_registers_the_essay_kind(app):
    kinds = app.extensions["lms_plugins"].grading_kinds
    assert kinds["quiz.essay"].key == "quiz.essay"


def test_a_plugins_kind_appears_in_the_queue_beside_the_essays(example_app):
    with example_app.app_context():
        db.session.add(Course(slug="plugin-course", title={"en": "Plugin course"}, languages=["en"]))
        db.session.commit()
    client = example_app.test_client()
    sign_in(example_app, client, role="admin")
    html = client.get("/grading/").get_data(as_text=True)
    assert "Reflection on week 1" in html
    assert "Reflections to review" in html
    assert "Example Learner" in html
    assert 'href="/example/"' in html
    assert "Plugin course" in html
    assert "Reflection on week 1" in client.get("/grading/?kind=example.reflection").get_data(as_text=True)
    assert "Reflection on week 1" not in client.get("/grading/?kind=quiz.essay").get_data(as_text=True)
