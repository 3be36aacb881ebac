"""Progress: the one writer (`record`) and what is derived from its rows.

Courses are built directly in the database so that weights, optional and archived
activities and prerequisites can be arranged as each test needs.
"""

import pytest
from sqlalchemy import func, select

from lms.auth.models import User
from lms.courses.models import Activity, Course, Module
from lms.enrollments.models import Enrollment
from lms.enrollments.services import enroll
from lms.extensions import db
from lms.progress import services
from lms.progress.models import COMPLETED, FAILED, IN_PROGRESS, NOT_STARTED, PASSED, Progress
from lms.progress.services import progress_of, record
from tests.conftest import counting_statements


def make_course(slug, activities, modules=1):
    """A published course; `activities` are dicts of Activity fields (slug required), spread over `modules`."""
    course = Course(slug=slug, title={"en": slug}, languages=["en"], published=True)
    db.session.add(course)
    module_rows = [
        Module(course=course, slug=f"m{index}", title={"en": f"Module {index}"}, position=index) for index in range(modules)
    ]
    for position, fields in enumerate(activities):
        fields = {"type_key": "lesson", "title": {"en": fields["slug"].title()}, "content": {"en": "Text"}, **fields}
        db.session.add(
            Activity(course=course, module=module_rows[position * modules // len(activities)], position=position, **fields)
        )
    db.session.flush()
    return course


@pytest.fixture
def learner(app, create_user):
    """A fresh trainee, loaded in the test's app context."""
    user = create_user()
    with app.app_context():
        yield db.session.get(User, user.id)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def activities_of(course):
    return {activity.slug: activity for activity in db.session.scalars(select(Activity).where(Activity.course_id == course.id))}


def standing(enrollment):
    return progress_of([enrollment])[enrollment.id]


# --- course progress ------------------------------------------------------------------


def test_percent_is_the_weighted_share_of_required_activities(ctx, learner):
    course = make_course("weights", [
        {"slug": "a", "weight": 1}, {"slug": "b", "weight": 3}, {"slug": "extra", "weight": 5, "required": False},
    ])
    enrollment = enroll(learner, course)
    a = activities_of(course)
    assert standing(enrollment).percent == 0
    record(enrollment, a["extra"], COMPLETED)
    assert standing(enrollment).percent == 0  # optional work does not count
    record(enrollment, a["a"], COMPLETED)
    assert standing(enrollment).percent == 25
    record(enrollment, a["b"], PASSED)
    result = standing(enrollment)
    assert result.percent == 100
    assert result.complete


def test_unfinished_statuses_do_not_count(ctx, learner):
    course = make_course("unfinished", [{"slug": "a"}, {"slug": "b"}, {"slug": "c"}, {"slug": "d"}])
    enrollment = enroll(learner, course)
    a = activities_of(course)
    record(enrollment, a["a"], IN_PROGRESS)
    record(enrollment, a["b"], FAILED, score=20)
    record(enrollment, a["c"], NOT_STARTED)
    record(enrollment, a["d"], COMPLETED)
    result = standing(enrollment)
    assert result.percent == 25
    assert [state.status for state in result.states] == [IN_PROGRESS, FAILED, NOT_STARTED, COMPLETED]
    assert not result.complete


def test_archived_activities_and_modules_are_left_out(ctx, learner):
    course = make_course("archived", [
        {"slug": "a"}, {"slug": "old", "weight": 10, "archived": True}, {"slug": "b"}, {"slug": "c"},
    ], modules=3)
    enrollment = enroll(learner, course)
    a = activities_of(course)
    record(enrollment, a["a"], COMPLETED)
    record(enrollment, a["old"], COMPLETED)
    result = standing(enrollment)
    assert [state.activity.slug for state in result.states] == ["a", "b", "c"]
    assert result.percent == 33
    a["c"].module.archived = True
    assert standing(enrollment).percent == 50
    assert [state.activity.slug for state in standing(enrollment).states] == ["a", "b"]


def test_a_course_with_no_required_activity(ctx, learner):
    course = make_course("all-optional", [{"slug": "a", "required": False}, {"slug": "b", "required": False}])
    enrollment = enroll(learner, course)
    result = standing(enrollment)
    assert result.percent == 100
    assert result.next_state.activity.slug == "a"  # there is still something to do


def test_a_course_with_no_activities(ctx, learner):
    course = Course(slug="empty", title={"en": "Empty"}, languages=["en"], published=True)
    db.session.add(course)
    enrollment = enroll(learner, course)
    result = standing(enrollment)
    assert (result.percent, result.states, result.next_state) == (0, [], None)
    assert not result.complete


def test_by_module_groups_states_in_course_order(ctx, learner):
    course = make_course("modules", [{"slug": s} for s in "abcd"], modules=2)
    enrollment = enroll(learner, course)
    record(enrollment, activities_of(course)["c"], COMPLETED)
    groups = standing(enrollment).by_module()
    assert [(module.slug, [s.activity.slug for s in states]) for module, states in groups.items()] == [
        ("m0", ["a", "b"]), ("m1", ["c", "d"]),
    ]
    assert [state.done for state in groups[activities_of(course)["c"].module]] == [True, False]


# --- locks and the next step ----------------------------------------------------------


def test_prerequisites_lock_until_done_and_next_state_follows(ctx, learner):
    course = make_course("locks", [
        {"slug": "intro"},
        {"slug": "practice", "prerequisites": ["intro"]},
        {"slug": "reading", "required": False},
        {"slug": "final", "prerequisites": ["intro", "practice"]},
    ])
    enrollment = enroll(learner, course)
    a = activities_of(course)
    result = standing(enrollment)
    assert [state.locked for state in result.states] == [False, True, False, True]
    assert [x.slug for x in result.state_of(a["final"]).locked_by] == ["intro", "practice"]
    assert result.next_state.activity.slug == "intro"

    record(enrollment, a["intro"], COMPLETED)
    result = standing(enrollment)
    assert not result.state_of(a["practice"]).locked
    assert [x.slug for x in result.state_of(a["final"]).locked_by] == ["practice"]
    assert result.next_state.activity.slug == "practice"

    record(enrollment, a["practice"], FAILED)
    result = standing(enrollment)
    assert result.state_of(a["final"]).locked  # failing is not finishing
    assert result.next_state.activity.slug == "practice"

    record(enrollment, a["practice"], PASSED)
    assert standing(enrollment).next_state.activity.slug == "reading"
    record(enrollment, a["reading"], COMPLETED)
    assert standing(enrollment).next_state.activity.slug == "final"
    record(enrollment, a["final"], COMPLETED)
    assert standing(enrollment).next_state is None


def test_a_prerequisite_that_was_archived_no_longer_locks(ctx, learner):
    course = make_course("gone", [{"slug": "old", "archived": True}, {"slug": "new", "prerequisites": ["old"]}])
    enrollment = enroll(learner, course)
    result = standing(enrollment)
    assert not result.states[0].locked
    assert result.next_state.activity.slug == "new"


# --- record -----------------------------------------------------------------------------


def test_a_view_never_reopens_a_finished_activity(ctx, learner):
    course = make_course("no-downgrade", [{"slug": "a"}, {"slug": "q"}])
    enrollment = enroll(learner, course)
    a = activities_of(course)
    row = record(enrollment, a["a"], COMPLETED)
    finished_at = row.completed_at
    assert finished_at is not None
    row = record(enrollment, a["a"], IN_PROGRESS)
    assert (row.status, row.completed_at) == (COMPLETED, finished_at)
    record(enrollment, a["q"], PASSED, score=90)
    row = record(enrollment, a["q"], IN_PROGRESS)
    assert (row.status, row.score) == (PASSED, 90)
    assert standing(enrollment).percent == 100


def test_attempts_time_and_score(ctx, learner):
    course = make_course("counters", [{"slug": "q"}])
    enrollment = enroll(learner, course)
    quiz = activities_of(course)["q"]
    assert enrollment.last_activity_at is None
    row = record(enrollment, quiz, IN_PROGRESS, seconds=40)
    assert (row.attempts, row.time_spent_seconds, row.score, row.completed_at) == (0, 40, None, None)
    row = record(enrollment, quiz, FAILED, score=30, attempt=True, seconds=100)
    row = record(enrollment, quiz, PASSED, score=80, attempt=True, seconds=90.7)
    row = record(enrollment, quiz, PASSED, attempt=False, seconds=-500)  # a clock going backwards adds nothing
    assert (row.status, row.score, row.attempts, row.time_spent_seconds) == (PASSED, 80, 2, 230)
    assert row.completed_at is not None
    assert enrollment.last_activity_at == row.updated_at
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(Progress).where(Progress.enrollment_id == enrollment.id)) == 1


def test_a_concurrent_first_record_does_not_crash(ctx, learner, monkeypatch):
    """Two requests both find no row and both insert: the loser reads the winner's row."""
    course = make_course("race", [{"slug": "a"}])
    enrollment = enroll(learner, course)
    activity = activities_of(course)["a"]
    winner = Progress(enrollment_id=enrollment.id, activity_id=activity.id, status=IN_PROGRESS, time_spent_seconds=5)
    db.session.add(winner)
    db.session.flush()

    real_scalar = db.session.scalar
    calls = []

    def first_lookup_misses(statement, *args, **kwargs):
        calls.append(statement)
        if len(calls) == 1:
            return None  # the other request's row was not there yet when this one looked
        return real_scalar(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", first_lookup_misses)
    row = record(enrollment, activity, COMPLETED, seconds=10)
    monkeypatch.undo()

    assert len(calls) == 2
    assert row.id == winner.id
    assert (row.status, row.time_spent_seconds) == (COMPLETED, 15)
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(Progress).where(Progress.enrollment_id == enrollment.id)) == 1
    assert enrollment in db.session  # the rest of the request's work is intact


# --- query counts ---------------------------------------------------------------------


def statements_for_progress_of(app, learners, activities):
    with app.app_context():
        courses = [
            make_course(f"count-{learners}-{index}", [{"slug": f"a{n}"} for n in range(activities)], modules=3)
            for index in range(2)
        ]
        enrollments = []
        for number in range(learners):
            user = User(email=f"count-{learners}-{number}@example.kz", name=f"Learner {number}")  # no slow password hash
            db.session.add(user)
            course = courses[number % 2]
            enrollment = enroll(user, course)
            for activity in activities_of(course).values():
                if activity.position % 2 == number % 2:
                    record(enrollment, activity, COMPLETED)
            enrollments.append(enrollment)
        db.session.commit()
        db.session.expire_all()
        enrollments = db.session.scalars(
            select(Enrollment).where(Enrollment.id.in_([e.id for e in enrollments])).order_by(Enrollment.id)
        ).all()
        with counting_statements(app) as statements:
            result = progress_of(enrollments)
            percents = [result[enrollment.id].percent for enrollment in enrollments]
            for standing_ in result.values():
                for module, states in standing_.by_module().items():
                    _ = module.display_title, [s.activity.display_title for s in states]
                _ = standing_.next_state and standing_.next_state.activity.slug
        assert all(0 < percent < 100 for percent in percents)
        return len(statements)


def test_progress_of_runs_a_fixed_number_of_statements(app):
    few = statements_for_progress_of(app, learners=2, activities=3)
    many = statements_for_progress_of(app, learners=20, activities=30)
    assert few == many
    assert 0 < many <= 3


def test_progress_of_nothing_runs_no_statement(app, ctx):
    with counting_statements(app, everything=True) as statements:
        assert progress_of([]) == {}
    assert statements == []


def test_course_activities_are_in_course_order(ctx):
    course = make_course("order", [{"slug": s} for s in "abcdef"], modules=3)
    modules = {module.slug: module for module in course.modules}
    modules["m0"].position, modules["m2"].position = 2, 0
    db.session.flush()
    assert [a.slug for a in services.course_activities([course.id])] == ["e", "f", "c", "d", "a", "b"]
