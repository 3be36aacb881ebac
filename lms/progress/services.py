"""The one writer of progress, and everything derived from it (course progress, locks, next step).

Activity types report through `record`; nothing else writes Progress rows. Course
progress is computed from those rows whenever it is needed, never stored twice.
"""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from lms.auth.models import utcnow
from lms.courses.models import Activity, Module
from lms.extensions import db
from lms.progress.models import DONE, IN_PROGRESS, NOT_STARTED, Progress


def record(enrollment, activity, status, score=None, attempt=False, seconds=0):
    """Write the learner's progress on one activity; a finished activity is never reopened by a view."""
    row = progress_row(enrollment, activity)
    now = utcnow()
    if not (status == IN_PROGRESS and row.status in DONE):
        row.status = status
    if score is not None:
        row.score = score
    if attempt:
        row.attempts += 1
    row.time_spent_seconds += max(0, int(seconds))
    row.updated_at = now
    if row.status in DONE and row.completed_at is None:
        row.completed_at = now
    enrollment.last_activity_at = now
    return row


def progress_row(enrollment, activity):
    """The row for this enrollment and activity, created if missing (safe against a concurrent insert)."""
    query = select(Progress).where(Progress.enrollment_id == enrollment.id, Progress.activity_id == activity.id)
    row = db.session.scalar(query)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = Progress(enrollment_id=enrollment.id, activity_id=activity.id, status=NOT_STARTED)
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(query)
    return row


@dataclass
class ActivityState:
    activity: object
    progress: object = None
    locked_by: list = field(default_factory=list)  # titles of unfinished prerequisites

    @property
    def status(self):
        return self.progress.status if self.progress else NOT_STARTED

    @property
    def done(self):
        return self.status in DONE

    @property
    def locked(self):
        return bool(self.locked_by)


@dataclass
class CourseProgress:
    """A learner's standing in one course, computed from the progress rows."""

    enrollment: object
    states: list  # ActivityState, in course order

    @property
    def percent(self):
        required = [state for state in self.states if state.activity.required]
        total = sum(state.activity.weight for state in required)
        if not total:
            return 100 if self.states else 0
        done = sum(state.activity.weight for state in required if state.done)
        return round(100 * done / total)

    @property
    def complete(self):
        return self.percent == 100

    @property
    def next_state(self):
        """Where "continue" leads: the first open activity not yet done."""
        return next((state for state in self.states if not state.done and not state.locked), None)

    def by_module(self):
        modules = {}
        for state in self.states:
            modules.setdefault(state.activity.module, []).append(state)
        return modules

    def state_of(self, activity):
        return next(state for state in self.states if state.activity.id == activity.id)


def course_activities(course_ids):
    """The live activities of these courses in course order, with their modules, in one query."""
    query = (
        select(Activity)
        .join(Activity.module)
        .where(Activity.course_id.in_(course_ids), Activity.archived.is_(False), Module.archived.is_(False))
        .order_by(Activity.course_id, Module.position, Activity.position)
        .options(contains_eager(Activity.module))
    )
    return db.session.scalars(query).all()


def progress_of(enrollments):
    """CourseProgress for each enrollment, with a fixed number of queries however many there are."""
    enrollments = list(enrollments)
    if not enrollments:
        return {}
    activities = course_activities({enrollment.course_id for enrollment in enrollments})
    rows = db.session.scalars(
        select(Progress).where(Progress.enrollment_id.in_([enrollment.id for enrollment in enrollments]))
    ).all()
    by_key = {(row.enrollment_id, row.activity_id): row for row in rows}
    result = {}
    for enrollment in enrollments:
        course_activities_ = [activity for activity in activities if activity.course_id == enrollment.course_id]
        result[enrollment.id] = build(enrollment, course_activities_, by_key)
    return result


def build(enrollment, activities, rows_by_key):
    states = [ActivityState(activity, rows_by_key.get((enrollment.id, activity.id))) for activity in activities]
    by_slug = {state.activity.slug: state for state in states}
    for state in states:
        state.locked_by = [
            by_slug[slug].activity for slug in state.activity.prerequisites if slug in by_slug and not by_slug[slug].done
        ]
    return CourseProgress(enrollment, states)
