"""A quiz for its course staff: attempts per learner, question statistics checked against values worked
out by hand, regrading after a correction, the CSV export that no spreadsheet runs, access and statement counts."""
import math
from collections import namedtuple
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.enrollments import services as enrollments
from lms.enrollments.models import Enrollment
from lms.extensions import db
from lms.progress.models import PASSED, Progress
from lms.quiz_reports import services
from lms.quizzes import services as quizzes
from lms.quizzes.models import ABANDONED, FINISHED, IN_PROGRESS as OPEN_ATTEMPT, Attempt, Question, Response
from tests.conftest import counting_statements
from tests.lms.test_grading_queue import (  # noqa: F401 (courses and teacher are fixtures)
    COURSE,
    ESSAY_SLOT,
    OTHER,
    RIGHT,
    add_learner,
    course_named,
    courses,
    enroll,
    essay_of,
    post,
    quiz_in,
    submit_attempt,
    teacher,
)
from tests.lms.test_reports import read_csv, table_rows

BASE = f"/courses/{COURSE}/quizzes"
QUIZ_PAGES = f"{BASE}/basics-quiz"
ATTEMPTS, STATISTICS, CSV, REGRADE = (f"{QUIZ_PAGES}/{page}" for page in ("attempts", "statistics", "attempts.csv", "regrade"))
STARTED = datetime(2025, 3, 1, 9, 0)


# --- helpers ------------------------------------------------------------------------------


def questions_named(names):
    by_name = {question.name: question for question in quizzes.quiz_questions(quiz_in(COURSE), "en")}
    return [by_name[name] for name in names]


def constructed_attempt(app, enrollment_id, names, cells, state=FINISHED, number=1, grader_id=None):
    """An attempt written straight into the database: `cells` holds (answer, fraction) per question."""
    with app.app_context():
        questions = questions_named(names)
        attempt = Attempt(
            activity_id=quiz_in(COURSE).id, enrollment_id=enrollment_id, number=number, state=state,
            layout=[{"question": question.id, "order": []} for question in questions],
            started_at=STARTED + timedelta(minutes=number), finished_at=STARTED + timedelta(minutes=number + 9),
            max_score=len(questions),
        )
        for slot, (question, (answer, fraction)) in enumerate(zip(questions, cells)):
            attempt.responses.append(Response(
                question_id=question.id, slot=slot, answer=answer, fraction=fraction,
                mark=None if fraction is None else fraction * question.default_mark,
                graded_by_id=grader_id if question.type == "essay" and fraction is not None else None,
            ))
        attempt.score = sum(response.mark or 0 for response in attempt.responses)
        attempt.needs_grading = any(response.fraction is None for response in attempt.responses)
        db.session.add(attempt)
        db.session.commit()
        return attempt.id


STATISTICS_QUESTIONS = ["principle", "confidential", "reflection"]  # multichoice (0 right), true/false (false), essay


def four_attempts(app, teacher):
    """Four finished attempts, one still open and one abandoned (those two never count):

                  principle  confidential  reflection   total
        A           1 (#0)     1 (false)     1            3
        B           1 (#0)     0 (true)      0.5          1.5
        C           0 (#1)     1 (false)     ungraded     1
        D           0 (#2)     1 (false)     0            1
    """
    rows = [
        ("Learner A", [(0, 1.0), (False, 1.0), ("A's essay", 1.0)]),
        ("Learner B", [(0, 1.0), (True, 0.0), ("B's essay", 0.5)]),
        ("Learner C", [(1, 0.0), (False, 1.0), ("C's essay", None)]),
        ("Learner D", [(2, 0.0), (False, 1.0), ("D's essay", 0.0)]),
    ]
    for name, cells in rows:
        constructed_attempt(app, add_learner(app, COURSE, name), STATISTICS_QUESTIONS, cells, grader_id=teacher.id)
    ignored = add_learner(app, COURSE, "Learner E")
    constructed_attempt(app, ignored, STATISTICS_QUESTIONS, [(2, 0.0), (True, 0.0), ("", 0.0)], state=ABANDONED)
    constructed_attempt(app, ignored, STATISTICS_QUESTIONS, [(2, 0.0), (True, 0.0), (None, None)], state=OPEN_ATTEMPT,
                        number=2)


def correlation_percent(marks, others):
    """Worked out step by step, the way the docstring of four_attempts reads."""
    count = len(marks)
    mark_mean, other_mean = sum(marks) / count, sum(others) / count
    covariance = sum((m - mark_mean) * (o - other_mean) for m, o in zip(marks, others))
    spread = math.sqrt(sum((m - mark_mean) ** 2 for m in marks) * sum((o - other_mean) ** 2 for o in others))
    return 100 * covariance / spread


# --- statistics -----------------------------------------------------------------------------


def test_statistics_match_the_values_worked_out_by_hand(app, teacher):
    four_attempts(app, teacher)
    with app.app_context():
        stats = services.statistics(quiz_in(COURSE))
    assert stats.attempts == 4
    assert stats.average == pytest.approx(100 * (3 + 1.5 + 1 + 1) / 4 / 3)
    principle, confidential, reflection = stats.questions
    assert [item.question.name for item in stats.questions] == STATISTICS_QUESTIONS

    # principle: marks 1, 1, 0, 0 against the rest of each attempt 2, 0.5, 1, 1.
    # Deviations from the means (0.5 and 1.125): ±0.5 and 0.875, -0.625, -0.125, -0.125;
    # covariance sum 0.4375 - 0.3125 + 0.0625 + 0.0625 = 0.25; squares 1 and 1.1875.
    assert principle.attempts == 4
    assert principle.facility == pytest.approx(50)
    assert principle.discrimination == pytest.approx(100 * 0.25 / math.sqrt(1 * 1.1875))
    assert principle.discrimination == pytest.approx(22.942, abs=1e-3)
    assert principle.discrimination == pytest.approx(correlation_percent([1, 1, 0, 0], [2, 0.5, 1, 1]))

    # confidential: marks 1, 0, 1, 1 (mean 0.75) against 2, 1.5, 0, 0 (mean 0.875):
    # covariance sum 0.28125 - 0.46875 - 0.21875 - 0.21875 = -0.625; squares 0.75 and 3.1875.
    assert confidential.facility == pytest.approx(75)
    assert confidential.discrimination == pytest.approx(100 * -0.625 / math.sqrt(0.75 * 3.1875))
    assert confidential.discrimination == pytest.approx(-40.423, abs=1e-3)

    # reflection: C's essay waits for a grade and is left out; marks 1, 0.5, 0 against 2, 1, 1.
    assert reflection.attempts == 3
    assert reflection.facility == pytest.approx(50)
    assert reflection.discrimination == pytest.approx(100 * 0.5 / math.sqrt(0.5 * (2 / 3)))
    assert reflection.discrimination == pytest.approx(86.603, abs=1e-3)


def test_the_distribution_counts_each_option_and_each_truth_value(app, teacher):
    four_attempts(app, teacher)
    with app.app_context():
        principle, confidential, reflection = services.statistics(quiz_in(COURSE)).questions
    assert [(share.label, share.count, share.fraction) for share in principle.distribution] == [
        ("Voluntariness", 2, 1.0), ("Confidentiality", 1, 0.0), ("Impartiality", 1, 0.0),
    ]
    assert [(share.label, share.count, share.fraction) for share in confidential.distribution] == [
        ("True", 1, 0.0), ("False", 3, 1.0),
    ]
    assert reflection.distribution == []  # free essays have no distribution


Row = namedtuple("Row", "attempt_id answer fraction")


def test_free_answers_are_counted_most_frequent_first():
    question = Question(type="shortanswer", name="stages", data={"answers": []})
    rows = [Row(1, "opening", 1.0), Row(2, "  opening ", 1.0), Row(3, "closing", 0.0), Row(4, None, None),
            Row(5, "opening", 1.0), Row(6, "closing", 0.0), Row(7, "caucus", 0.0), Row(8, "", None)]
    shares, unanswered = services.distribution(question, rows)
    assert [(share.label, share.count, share.fraction) for share in shares] == [
        ("opening", 3, 1.0), ("closing", 2, 0.0), ("caucus", 1, 0.0),
    ]
    assert unanswered == 2
    matching = Question(type="matching", name="match", data={"pairs": [
        {"question": "Caucus", "answer": "Private"}, {"question": "<b>BATNA</b>", "answer": "Best alternative"},
    ]})
    shares, _ = services.distribution(matching, [Row(1, {"1": "Private", "0": "Private"}, 0.5)])
    assert shares[0].label == "Caucus → Private; BATNA → Private"


def test_discrimination_needs_two_attempts_and_some_variation():
    assert services.discrimination_index([1], [2]) is None
    assert services.discrimination_index([1, 1, 1], [0, 1, 2]) is None  # everyone right: no variance
    assert services.discrimination_index([0, 1], [0, 1]) == pytest.approx(100)


def test_statistics_with_one_attempt_and_with_none(app, client, teacher):
    html = client.get(STATISTICS).get_data(as_text=True)
    assert "No finished attempts yet." in html
    constructed_attempt(app, add_learner(app, COURSE, "Only One"), STATISTICS_QUESTIONS,
                        [(0, 1.0), (True, 0.0), ("text", 1.0)], grader_id=teacher.id)
    with app.app_context():
        stats = services.statistics(quiz_in(COURSE))
    assert [item.discrimination for item in stats.questions] == [None, None, None]
    assert [item.facility for item in stats.questions] == [100, 0, 100]


def test_the_statistics_page_shows_the_figures(app, client, teacher):
    four_attempts(app, teacher)
    response = client.get(STATISTICS)
    assert response.status_code == 200
    rows = table_rows(response.get_data(as_text=True))
    assert rows[0][:5] == ["principle", "multichoice", "4", "50.0%", "22.9%"]
    assert "Voluntariness: 2" in rows[0][5]
    assert rows[1][:5] == ["confidential", "truefalse", "4", "75.0%", "-40.4%"]
    assert rows[2][:5] == ["reflection", "essay", "3", "50.0%", "86.6%"]


def test_the_statistics_page_takes_the_same_statements_however_many_attempts(app, client, teacher):
    constructed_attempt(app, add_learner(app, COURSE, "First"), STATISTICS_QUESTIONS, [(0, 1.0), (True, 0.0), ("x", 1.0)],
                        grader_id=teacher.id)
    client.get(STATISTICS)
    with counting_statements(app) as few:
        assert client.get(STATISTICS).status_code == 200
    four_attempts(app, teacher)
    with counting_statements(app) as many:
        assert client.get(STATISTICS).status_code == 200
    assert any("quiz_responses" in statement for statement in few)
    assert len(many) == len(few), many


# --- attempts per learner and CSV ---------------------------------------------------------------


def grouped_learners(app):
    """Two learners in two groups with finished attempts, and one in no group with an open attempt."""
    with app.app_context():
        course = course_named(COURSE)
        north = enrollments.group_named(course, "North", create=True)
        evil = enrollments.group_named(course, "@evil", create=True)
        db.session.commit()
        north_id, evil_id = north.id, evil.id
    aliya = add_learner(app, COURSE, "Aliya North", email="aliya@example.kz")
    formula = add_learner(app, COURSE, '=HYPERLINK("http://evil.example")', email="formula@example.kz")
    open_one = add_learner(app, COURSE, "Zhan Open", email="zhan@example.kz")
    with app.app_context():
        db.session.get(Enrollment, aliya).group_id = north_id
        db.session.get(Enrollment, formula).group_id = evil_id
        db.session.commit()
    constructed_attempt(app, aliya, STATISTICS_QUESTIONS, [(0, 1.0), (False, 1.0), ("x", None)])
    constructed_attempt(app, aliya, STATISTICS_QUESTIONS, [(0, 1.0), (False, 1.0), ("y", 1.0)], number=2)
    constructed_attempt(app, formula, STATISTICS_QUESTIONS, [(1, 0.0), (True, 0.0), ("z", 0.0)])
    constructed_attempt(app, open_one, STATISTICS_QUESTIONS, [(None, None), (None, None), (None, None)], state=OPEN_ATTEMPT)
    return north_id, evil_id


def test_attempts_are_listed_per_learner_with_their_scores(app, client, teacher):
    grouped_learners(app)
    response = client.get(ATTEMPTS)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "4 attempts" in html
    rows = table_rows(html)
    assert [row[0].split(" ")[0] for row in rows] == ["=HYPERLINK(\"http://evil.example\")", "Aliya", "Aliya", "Zhan"]
    assert rows[1][1:3] == ["1", "Finished needs grading"]
    assert rows[1][5:] == ["2 / 3", "66.7%"]
    assert rows[2][1:3] == ["2", "Finished"]
    assert rows[2][5:] == ["3 / 3", "100.0%"]
    assert rows[3][2] == "In progress"


def test_attempts_filter_by_group(app, client, teacher):
    north_id, _evil = grouped_learners(app)
    html = client.get(f"{ATTEMPTS}?group={north_id}").get_data(as_text=True)
    assert "2 attempts" in html
    assert "Zhan Open" not in html
    assert client.get(f"{ATTEMPTS}?group=999999").status_code == 400
    assert client.get(f"{CSV}?group=999999").status_code == 400


def test_the_csv_neutralises_formula_cells(app, client, teacher):
    _north, evil_id = grouped_learners(app)
    rows = read_csv(client.get(CSV))
    assert rows[0] == ["Name", "Email", "Group", "Attempt", "State", "Started (UTC)", "Finished (UTC)", "Score",
                       "Maximum score", "Percent", "Needs grading"]
    assert len(rows) == 5
    formula = rows[1]
    assert formula[0] == "'=HYPERLINK(\"http://evil.example\")"
    assert formula[2] == "'@evil"
    assert formula[3:] == ["1", "Finished", "2025-03-01 09:01:00", "2025-03-01 09:10:00", "0", "3", "0.0", ""]
    assert rows[2][:3] == ["Aliya North", "aliya@example.kz", "North"]
    assert rows[2][7:] == ["2", "3", "66.7", "yes"]
    grouped = read_csv(client.get(f"{CSV}?group={evil_id}"))
    assert [row[1] for row in grouped[1:]] == ["formula@example.kz"]
    assert client.get(CSV).headers["Content-Disposition"] == 'attachment; filename="quiz-course-basics-quiz-attempts.csv"'


def test_the_attempts_page_takes_the_same_statements_however_many_attempts(app, client, teacher):
    constructed_attempt(app, add_learner(app, COURSE, "First"), STATISTICS_QUESTIONS, [(0, 1.0), (True, 0.0), ("x", 1.0)])
    client.get(ATTEMPTS)
    with counting_statements(app) as few:
        assert client.get(ATTEMPTS).status_code == 200
    grouped_learners(app)
    four_attempts(app, teacher)
    with counting_statements(app) as many:
        html = client.get(ATTEMPTS).get_data(as_text=True)
    assert "11 attempts" in html
    assert any("FROM quiz_attempts" in statement for statement in few)  # the listener sees the page's queries
    assert len(many) == len(few), many


def test_the_index_lists_the_course_quizzes_with_their_attempts(app, client, teacher):
    grouped_learners(app)
    response = client.get(f"{BASE}/")
    assert response.status_code == 200
    rows = table_rows(response.get_data(as_text=True))
    assert rows == [["Quiz: the basics Basics", "4", "3", "Attempts · Statistics"]]


# --- regrading ----------------------------------------------------------------------------------


def test_regrading_after_a_correction_re_marks_attempts_and_keeps_a_persons_grade(app, client, teacher):
    enrollment_id = add_learner(app, COURSE, "Regraded Learner")
    attempt_id = submit_attempt(app, enrollment_id, COURSE, {**RIGHT, "3": "72", str(ESSAY_SLOT): "essay"})
    with app.app_context():
        quizzes.grade_response(db.session.get(Response, essay_of(app, attempt_id)), 1, "", db.session.get(User, teacher.id))
        db.session.commit()
        assert db.session.get(Attempt, attempt_id).score == 5
        hours = questions_named(["hours"])[0]
        hours.data = {**hours.data, "answers": [{**hours.data["answers"][0], "value": 73}]}  # the right answer was 73
        db.session.commit()
    response = post(client, REGRADE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(STATISTICS)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.score == 4
        assert attempt.responses[ESSAY_SLOT].mark == 1  # the teacher's grade stands
        progress = db.session.scalar(select(Progress).where(Progress.enrollment_id == enrollment_id,
                                                            Progress.activity_id == quiz_in(COURSE).id))
        assert progress.status == PASSED and progress.score == pytest.approx(66.67)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "quiz.regraded"))
        assert entry.actor_id == teacher.id
        assert entry.target == f"{COURSE}:basics-quiz"
        assert entry.details == {"attempts": 1, "questions": 6}
    assert "1 attempt has been regraded." in client.get(STATISTICS).get_data(as_text=True)


def test_regrading_can_lower_a_learners_score(app, client, teacher):
    enrollment_id = add_learner(app, COURSE, "Borderline Learner")
    submit_attempt(app, enrollment_id, COURSE, {**RIGHT, "3": "72", str(ESSAY_SLOT): "essay"})
    with app.app_context():
        hours = questions_named(["hours"])[0]
        hours.data = {**hours.data, "answers": [{**hours.data["answers"][0], "value": 73}]}
        db.session.commit()
    assert post(client, REGRADE).status_code == 302
    with app.app_context():
        progress = db.session.scalar(select(Progress).where(Progress.enrollment_id == enrollment_id,
                                                            Progress.activity_id == quiz_in(COURSE).id))
        assert progress.score == pytest.approx(50)


def test_regrade_needs_a_post_with_the_csrf_token(app, client, teacher):
    assert client.get(REGRADE).status_code == 405
    assert client.post(REGRADE).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "quiz.regraded")) is None


# --- access -------------------------------------------------------------------------------------


PAGES = [f"{BASE}/", ATTEMPTS, STATISTICS, CSV]


@pytest.mark.parametrize("who, status", [
    ("anonymous", 302),
    ("trainee", 403),
    ("instructor elsewhere", 403),
    ("instructor not enrolled", 403),
    ("course instructor", 200),
    ("admin", 200),
])
def test_access(app, client, courses, login_as, who, status):
    if who == "trainee":
        enroll(app, login_as("trainee"), COURSE)
    elif who == "instructor elsewhere":
        enroll(app, login_as("instructor"), OTHER, role="instructor")
    elif who == "instructor not enrolled":
        login_as("instructor")
    elif who == "course instructor":
        enroll(app, login_as("trainee"), COURSE, role="instructor")
    elif who == "admin":
        login_as("admin")
    for page in PAGES:
        assert client.get(page).status_code == status, page
    if who == "anonymous":
        assert client.post(REGRADE).status_code in (302, 400)
        return
    assert post(client, REGRADE).status_code == (302 if status == 200 else status)
    with app.app_context():
        regraded = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "quiz.regraded"))
        assert (regraded is not None) is (status == 200)


def test_unknown_quizzes_lessons_and_courses_are_not_found(client, teacher):
    assert client.get(f"{BASE}/nonsense/attempts").status_code == 404
    assert client.get(f"{BASE}/intro/statistics").status_code == 404  # a lesson, not a quiz
    assert client.get("/courses/nonsense/quizzes/").status_code == 404


def test_the_staff_navigation_links_to_the_quizzes(client, teacher):
    assert f'href="{BASE}/"' in client.get(f"/courses/{COURSE}/people").get_data(as_text=True)
