"""Grading: every question type marked as Moodle marks it, essays graded by a person, the
grading methods (through quiz_grade and through progress), and regrading after a correction."""
import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.courses.models import Activity
from lms.enrollments.models import Enrollment
from lms.extensions import db
from lms.progress.models import FAILED, IN_PROGRESS, PASSED, Progress
from lms.quizzes import gift, grading, services as quizzes
from lms.quizzes.models import FINISHED, Attempt, Question
from tests.lms.test_api import enroll_user
from tests.lms.test_quiz_api import make_quiz


def question(text):
    """A Question (not stored) from one GIFT question."""
    [item] = gift.parse(text)
    return Question(**quizzes.fields_from(item))


def marks(gift_text, *answers):
    item = question(gift_text)
    return [grading.fraction(item, answer) for answer in answers]


# --- each question type -----------------------------------------------------------------------


def test_multichoice_with_one_answer_gives_partial_credit():
    text = "::q::Pick. {=Right ~%50%Half right ~%-50%Wrong and penalised ~Wrong}"
    assert marks(text, 0, 1, 2, 3, "0", [0], None, "", [], [0, 1], 7, -1, "x") == [
        1.0, 0.5, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    ]


def test_multichoice_with_several_answers_adds_weights_and_clips_at_zero():
    text = "::q::Pick all. {~%50%A ~%50%B ~%-100%C ~%-50%D ~%0%E}"
    assert marks(text, [0, 1], [0], [1, 4], [0, 1, 3], [0, 1, 2], [2], [2, 3], [0, 0], [], [0, 1, 9]) == [
        1.0, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.5, 0.0, 1.0
    ]
    assert marks("::q::Pick. {~%33.33333%A ~%33.33333%B ~%33.33333%C}", [0, 1, 2]) == [pytest.approx(1.0, abs=1e-4)]


def test_true_false():
    assert marks("::q::The sky is blue. {T}", True, False, "true", "FALSE", None) == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert marks("::q::The sea is dry. {FALSE}", False, True, "false") == [1.0, 0.0, 1.0]


def test_short_answer_ignores_case_and_spaces_and_knows_the_wildcard():
    text = "::q::Name it. {=Opening statement =%50%open* =%25%*talk*}"
    assert marks(text, "opening statement", "  OPENING   Statement ", "openness", "Small talk", "closing", "open", "", None) == [
        1.0, 1.0, 0.5, 0.25, 0.0, 0.5, 0.0, 0.0
    ]
    # `*` is the only special character: the rest matches literally.
    assert marks("::q::Symbol. {=a.b (c)}", "a.b (c)", "axb (c)") == [1.0, 0.0]


def test_numerical_with_a_tolerance():
    text = "::q::Pi? {#3.14:0.01}"
    assert marks(text, "3.14", "3.15", "3.13", "3.151", "3,14", " 3.14 ", 3.14, "pi", "", "nan", "inf") == [
        1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0
    ]
    assert marks("::q::Exactly. {#72}", "72", "72.0", "72.1", "7.2e1") == [1.0, 1.0, 0.0, 1.0]


def test_numerical_ranges():
    item = question("::q::Between one and five. {#1..5}")
    assert item.data["answers"][0]["value"] == 3 and item.data["answers"][0]["tolerance"] == 2
    assert marks("::q::Between one and five. {#1..5}", "1", "5", "3.3", "0.99", "5.01", "-3") == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]


def test_numerical_with_several_answers_and_the_catch_all():
    text = "::q::Pi? {# =%100%3.14:0.005 =%50%3.1:0.05 =%10%*#Any number earns a little}"
    assert marks(text, "3.14", "3.12", "3.06", "3.2", "42", "not a number") == [1.0, 0.5, 0.5, 0.1, 0.1, 0.0]
    assert marks("::q::Pi? {# =3.14:0.005 =%50%3.1:0.05}", "42") == [0.0]


def test_matching_with_a_distractor():
    text = "::q::Match. {=Caucus -> Private meeting =BATNA -> Best alternative = -> A distractor}"
    assert marks(
        text,
        {"0": "Private meeting", "1": "Best alternative"},
        {"0": "Private meeting", "1": "A distractor"},
        {"0": "A distractor", "1": "A distractor"},
        {"0": "Best alternative", "1": "Private meeting"},
        {"0": "Private meeting", "1": "Best alternative", "2": "A distractor"},
        {"1": "Best alternative"},
        {},
        ["Private meeting"],
        "Private meeting",
    ) == [1.0, 0.5, 0.0, 0.0, 1.0, 0.5, 0.0, 0.0, 0.0]


def test_essays_wait_for_a_person_and_descriptions_earn_nothing():
    assert marks("::q::Describe a conflict. {}", "A long story", None) == [None, None]
    assert marks("::q::Read this first.", None, "anything") == [0.0, 0.0]


# --- attempts in the database ---------------------------------------------------------------------

TEN_TRUTHS = "\n\n".join(f"::t{index}::Statement {index} is true. {{T}}" for index in range(10))


@pytest.fixture
def taker(app, create_user):
    """taker(quiz_id) -> a function taking one attempt with that many right answers (of the true/false quiz)."""

    def taker(quiz_id):
        user = create_user()
        with app.app_context():
            slug = db.session.get(Activity, quiz_id).course.slug
        enroll_user(app, user, slug)

        def take(right, answers=None):
            with app.app_context():
                activity = db.session.get(Activity, quiz_id)
                enrollment = db.session.scalar(
                    select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == activity.course_id)
                )
                attempt = quizzes.start_or_resume(enrollment, activity, "en")
                given = answers or {str(slot): slot < right for slot in range(len(attempt.layout))}
                quizzes.save_answers(attempt, given)
                quizzes.submit(attempt)
                db.session.commit()
                return attempt.id

        take.user = user
        return take

    return taker


def progress_of_user(app, user, quiz_id):
    with app.app_context():
        row = db.session.scalar(
            select(Progress).join(Enrollment).where(Enrollment.user_id == user.id, Progress.activity_id == quiz_id)
        )
        return row.status, row.score, row.attempts


def finished(percent, number):
    return Attempt(state=FINISHED, score=percent, max_score=100, number=number)


def test_quiz_grade_by_each_method():
    attempts = [finished(40, 1), Attempt(state="abandoned", number=2, max_score=100), finished(100, 3), finished(50, 4),
                Attempt(state="in_progress", number=5, max_score=100)]
    assert quizzes.quiz_grade(attempts, "highest") == 100
    assert quizzes.quiz_grade(attempts, "average") == pytest.approx(190 / 3)
    assert quizzes.quiz_grade(attempts, "first") == 40
    assert quizzes.quiz_grade(attempts, "last") == 50
    assert quizzes.quiz_grade([], "highest") is None
    assert quizzes.quiz_grade([Attempt(state="abandoned", number=1, max_score=100)], "last") is None


@pytest.mark.parametrize(
    "method, status, score",
    [("highest", PASSED, 100), ("average", PASSED, 63.33), ("first", FAILED, 40), ("last", FAILED, 50)],
)
def test_each_grading_method_reaches_progress(app, taker, method, status, score):
    quiz = make_quiz(app, TEN_TRUTHS, grading_method=method, pass_mark=60)
    take = taker(quiz)
    for right in (4, 10, 5):
        take(right)
    assert progress_of_user(app, take.user, quiz) == (status, score, 3)


def test_a_later_better_attempt_turns_failed_into_passed_and_last_can_turn_it_back(app, taker):
    quiz = make_quiz(app, TEN_TRUTHS, grading_method="last", pass_mark=60)
    take = taker(quiz)
    take(3)
    assert progress_of_user(app, take.user, quiz) == (FAILED, 30, 1)
    take(9)
    assert progress_of_user(app, take.user, quiz) == (PASSED, 90, 2)
    take(1)
    assert progress_of_user(app, take.user, quiz) == (FAILED, 10, 3)


def test_an_essay_is_pending_until_a_person_grades_it(app, taker, create_user):
    quiz = make_quiz(app, "::e::Describe a conflict. {}\n\n::t::True? {T}\n\n::d::Just read this.", pass_mark=60)
    take = taker(quiz)
    attempt_id = take(0, answers={"0": "My story", "1": True})
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.needs_grading and attempt.score == 1 and attempt.max_score == 2  # the description has no mark
        essay, truth, description = attempt.responses
        assert essay.fraction is None and essay.mark is None
        assert truth.fraction == 1 and description.fraction == 0 and description.mark == 0
    assert progress_of_user(app, take.user, quiz) == (IN_PROGRESS, 50, 1)  # below the pass mark but not final

    grader = create_user("instructor")
    with app.app_context():
        essay = db.session.get(Attempt, attempt_id).responses[0]
        with pytest.raises(quizzes.QuizError) as refused:
            quizzes.grade_response(essay, 1.5, "", db.session.get(User, grader.id))
        assert refused.value.status == 400
        quizzes.grade_response(essay, 0.5, "Good, but say more.", db.session.get(User, grader.id))
        db.session.commit()
        attempt = db.session.get(Attempt, attempt_id)
        assert not attempt.needs_grading and attempt.score == 1.5
        assert attempt.responses[0].fraction == 0.5 and attempt.responses[0].graded_by_id == grader.id
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "quiz.response_graded")).actor_id == grader.id
    assert progress_of_user(app, take.user, quiz) == (PASSED, 75, 1)  # graded, not another attempt


def test_a_person_failing_the_essay_makes_the_quiz_failed(app, taker, create_user):
    quiz = make_quiz(app, "::e::Describe a conflict. {}\n\n::t::True? {T}", pass_mark=60)
    take = taker(quiz)
    attempt_id = take(0, answers={"0": "My story", "1": True})
    grader = create_user("instructor")
    with app.app_context():
        quizzes.grade_response(db.session.get(Attempt, attempt_id).responses[0], 0, "Off topic.", db.session.get(User, grader.id))
        db.session.commit()
    assert progress_of_user(app, take.user, quiz) == (FAILED, 50, 1)


def test_regrading_after_a_correction_changes_finished_attempts(app, taker):
    quiz = make_quiz(app, "::capital::The capital of Kazakhstan? {=Almaty ~Astana}\n\n::t::True? {T}", pass_mark=60)
    first, second = taker(quiz), taker(quiz)
    first_attempt = first(0, answers={"0": 1, "1": True})  # Astana: marked wrong by the faulty key
    second(0, answers={"0": 0, "1": True})
    open_taker = taker(quiz)
    with app.app_context():
        activity = db.session.get(Activity, quiz)
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == open_taker.user.id))
        still_open = quizzes.start_or_resume(enrollment, activity, "en")
        db.session.commit()
        open_id = still_open.id
    assert progress_of_user(app, first.user, quiz) == (FAILED, 50, 1)
    assert progress_of_user(app, second.user, quiz) == (PASSED, 100, 1)

    with app.app_context():
        capital = db.session.scalar(select(Question).where(Question.name == "capital"))
        [corrected] = gift.parse("::capital::The capital of Kazakhstan? {~Almaty =Astana}")
        quizzes.set_fields(capital, corrected)
        assert capital.version == 2
        assert quizzes.regrade([capital]) == 2
        db.session.commit()
        assert db.session.get(Attempt, first_attempt).score == 2
        assert db.session.get(Attempt, open_id).score is None  # open attempts are graded when they finish
    assert progress_of_user(app, first.user, quiz) == (PASSED, 100, 1)
    assert progress_of_user(app, second.user, quiz) == (FAILED, 50, 1)
