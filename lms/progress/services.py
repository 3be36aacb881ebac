"""The one writer of progress, and everything derived from it (course progress, locks, next step).

Activity types report through `record`; nothing else writes Progress rows. Course
progress is computed from those rows whenever it is needed, never stored twice.
"""
import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from lms.auth.models import User, utcnow
from lms.courses.models import Activity, Module
from lms.enrollments.models import ACTIVE, TRAINEE, Enrollment
from lms.extensions import db
from lms.progress.models import DONE, IN_PROGRESS, NOT_STARTED, STATUS_LABELS, Progress


def record(enrollment, activity, status, score=None, attempt=False, seconds=0, graded=False):
    """Write the learner's progress on one activity.

    A finished activity is never reopened by a view; a grade (`graded=True`) is always
    the truth, so a regrade can also take a pass away.
    """
    row = progress_row(enrollment, activity)
    now = utcnow()
    if graded or not (status == IN_PROGRESS and row.status in DONE):
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


def live_activities():
    """Conditions (with a join to Module) that keep archived activities and modules out of sums."""
    return Activity.archived.is_(False), Module.archived.is_(False)


def done_weights():
    """Per enrollment, the weight of the required live activities done, as a subquery."""
    return (
        select(Progress.enrollment_id, func.sum(Activity.weight).label("weight"))
        .join(Activity, Progress.activity_id == Activity.id)
        .join(Module, Activity.module_id == Module.id)
        .where(Progress.status.in_(DONE), Activity.required.is_(True), *live_activities())
        .group_by(Progress.enrollment_id)
        .subquery()
    )


def required_weights():
    """Per course, the weight of its required live activities and how many live activities it has."""
    return (
        select(
            Activity.course_id,
            func.coalesce(func.sum(case((Activity.required.is_(True), Activity.weight), else_=0)), 0).label("weight"),
            func.count(Activity.id).label("activities"),
        )
        .join(Module, Activity.module_id == Module.id)
        .where(*live_activities())
        .group_by(Activity.course_id)
        .subquery()
    )


REPORT_SORTS = ("name", "progress", "activity")


def report_query(course, group=None, sort="name", descending=False):
    """Active trainees of the course for the instructor report, in the order asked.

    Sorting by progress orders by the weight done in SQL, which orders learners exactly as
    CourseProgress.percent does (every learner of a course shares the same total weight),
    so the report pages through any number of learners with a fixed number of queries.
    """
    done = done_weights()
    weight = func.coalesce(done.c.weight, 0)
    query = (
        select(Enrollment)
        .join(Enrollment.user)
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .where(Enrollment.course_id == course.id, Enrollment.role == TRAINEE, Enrollment.status == ACTIVE)
        .options(contains_eager(Enrollment.user), joinedload(Enrollment.group))
    )
    if group is not None:
        query = query.where(Enrollment.group_id == group.id)
    if sort == "progress":
        query = query.order_by(weight.desc() if descending else weight.asc())
    elif sort == "activity":
        last = Enrollment.last_activity_at
        query = query.order_by(last.desc().nulls_last() if descending else last.asc().nulls_first())
    name_order = (User.name.desc(), User.email.desc()) if sort == "name" and descending else (User.name, User.email)
    return query.order_by(*name_order, Enrollment.id)


@dataclass
class CourseFigures:
    enrolled: int = 0  # active trainees
    active: int = 0  # of them, active since the cut-off
    completed: int = 0  # of them, at 100%


def course_figures(course_ids, since):
    """CourseFigures per course id in one query, with "completed" computed as CourseProgress.percent does.

    percent rounds 100 * done / total, so it reads 100 exactly when done / total >= 0.995;
    a course whose required activities weigh nothing is complete for everyone once it has any activity.
    """
    done, totals = done_weights(), required_weights()
    complete = or_(
        and_(totals.c.weight > 0, func.coalesce(done.c.weight, 0) * 200 >= totals.c.weight * 199),
        and_(totals.c.weight == 0, totals.c.activities > 0),
    )
    rows = db.session.execute(
        select(
            Enrollment.course_id,
            func.count(Enrollment.id),
            func.count(case((Enrollment.last_activity_at >= since, 1))),
            func.count(case((complete, 1))),
        )
        .outerjoin(totals, totals.c.course_id == Enrollment.course_id)
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .where(Enrollment.course_id.in_(course_ids), Enrollment.role == TRAINEE, Enrollment.status == ACTIVE)
        .group_by(Enrollment.course_id)
    ).all()
    figures = {course_id: CourseFigures() for course_id in course_ids}
    for course_id, enrolled, active, completed in rows:
        figures[course_id] = CourseFigures(enrolled, active, completed)
    return figures


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A CSV cell that no spreadsheet reads as a formula: risky first characters get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def score_text(score):
    return "" if score is None else f"{score:g}"


def report_table(activities, enrollments, standings):
    """The instructor report as rows of cells (a header first): learner, progress, then status and score per activity."""
    header = [_("Name"), _("Email"), _("Group"), _("Progress, %"), _("Last activity (UTC)")]
    for activity in activities:
        header += [activity.display_title, _("%(title)s: score", title=activity.display_title)]
    rows = [header]
    for enrollment in enrollments:
        standing = standings[enrollment.id]
        last = enrollment.last_activity_at
        row = [
            enrollment.user.name,
            enrollment.user.email,
            enrollment.group.name if enrollment.group else "",
            standing.percent,
            last.strftime("%Y-%m-%d %H:%M") if last else "",
        ]
        for state in standing.states:
            row += [str(STATUS_LABELS[state.status]), score_text(state.progress.score if state.progress else None)]
        rows.append(row)
    return rows


def csv_text(rows):
    """CSV text whose every cell is safe to open in a spreadsheet."""
    output = io.StringIO()
    writer = csv.writer(output)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return output.getvalue()
