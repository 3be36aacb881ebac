"""Who is in which course, in which role and group; enrolling, withdrawing, re-enrolling."""
import hmac

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from lms.audit.services import record
from lms.auth.models import User
from lms.courses.models import BY_KEY, OPEN
from lms.csv_import import read_rows
from lms.enrollments.models import ACTIVE, COURSE_ROLES, INSTRUCTOR, TRAINEE, WITHDRAWN, CourseGroup, Enrollment
from lms.extensions import db
from lms.auth.models import utcnow


class EnrollmentError(Exception):
    """An enrollment the rules refuse; the message is shown to the user."""


def enrollment_of(user, course):
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id))


def active_enrollment(user, course):
    enrollment = enrollment_of(user, course)
    return enrollment if enrollment is not None and enrollment.is_active else None


def my_enrollments(user):
    """The user's active enrollments with their courses, in one query."""
    return db.session.scalars(
        select(Enrollment)
        .where(Enrollment.user_id == user.id, Enrollment.status == ACTIVE)
        .options(joinedload(Enrollment.course))
        .order_by(Enrollment.last_activity_at.desc().nulls_last(), Enrollment.enrolled_at.desc())
    ).all()


def is_course_staff(user, course):
    """Administrators, and the course's active instructors."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    enrollment = active_enrollment(user, course)
    return enrollment is not None and enrollment.role == INSTRUCTOR


def self_enroll(user, course, key=None):
    """Enroll oneself as the course's policy allows (open, or with the right key)."""
    current = active_enrollment(user, course)
    if current is not None:
        return current  # never turns an instructor into a trainee
    if not course.published:
        raise EnrollmentError(_("This course is not open for enrollment."))
    if course.enrollment_policy == BY_KEY:
        if not key or not course.enrollment_key or not hmac.compare_digest(key.strip(), course.enrollment_key):
            raise EnrollmentError(_("The enrollment key is not correct."))
    elif course.enrollment_policy != OPEN:
        raise EnrollmentError(_("Only the course staff can enroll people in this course."))
    return enroll(user, course, actor=user)


def enroll(user, course, role=TRAINEE, group=None, actor=None):
    """Enroll `user`, or bring back a withdrawn enrollment with its history and progress."""
    enrollment = enrollment_of(user, course)
    if enrollment is None:
        enrollment = Enrollment(user=user, course=course, role=role, group=group)
        db.session.add(enrollment)
        action = "enrollment.created"
    elif enrollment.is_active and enrollment.role == role and (group is None or enrollment.group == group):
        return enrollment
    else:
        action = "enrollment.reactivated" if not enrollment.is_active else "enrollment.changed"
        enrollment.status, enrollment.withdrawn_at, enrollment.role = ACTIVE, None, role
        if group is not None:
            enrollment.group = group
    db.session.flush()
    record(action, target=f"{course.slug}:{user.email}", actor=actor, role=role, group=group.name if group else None)
    return enrollment


def withdraw(enrollment, actor=None):
    if not enrollment.is_active:
        return
    enrollment.status, enrollment.withdrawn_at = WITHDRAWN, utcnow()
    record("enrollment.withdrawn", target=f"{enrollment.course.slug}:{enrollment.user.email}", actor=actor)


def group_named(course, name, create=False):
    if not name:
        return None
    group = db.session.scalar(select(CourseGroup).where(CourseGroup.course_id == course.id, CourseGroup.name == name))
    if group is None and create:
        group = CourseGroup(course_id=course.id, name=name)
        db.session.add(group)
        db.session.flush()
    return group


def groups_of(course):
    return db.session.scalars(select(CourseGroup).where(CourseGroup.course_id == course.id).order_by(CourseGroup.name)).all()


GROUP_NAME_LENGTH = CourseGroup.name.type.length


def preview_enrollment_csv(course, text):
    """Rows of a CSV (email, role, group) with their problems as (line, message); nothing is saved."""
    rows, problems = read_rows(text, ("email", "role", "group"), required=("email",))
    emails = {row["email"].lower() for row in rows}
    users = {user.email: user for user in db.session.scalars(select(User).where(User.email.in_(emails)))}
    seen = {}
    for row in rows:
        row["email"] = row["email"].lower()
        row["role"] = (row.get("role") or TRAINEE).lower()
        row["user"] = users.get(row["email"])
        if row["user"] is None:
            problems.append((row["line"], _("No account uses %(email)s.", email=row["email"])))
        elif not row["user"].active:
            problems.append((row["line"], _("The account %(email)s is deactivated.", email=row["email"])))
        if row["role"] not in COURSE_ROLES:
            problems.append((row["line"], _("Unknown course role %(role)s: use trainee or instructor.", role=row["role"])))
        if len(row.get("group") or "") > GROUP_NAME_LENGTH:
            problems.append((row["line"], _("The group name is longer than %(num)d characters.", num=GROUP_NAME_LENGTH)))
        if row["email"] in seen:
            problems.append((row["line"], _("%(email)s is already on line %(line)d.", email=row["email"], line=seen[row["email"]])))
        seen.setdefault(row["email"], row["line"])
    return rows, sorted(problems, key=lambda problem: problem[0])


def enroll_from_csv(course, rows, actor):
    return [
        enroll(row["user"], course, role=row["role"], group=group_named(course, row.get("group"), create=True), actor=actor)
        for row in rows
    ]


NO_GROUP = object()  # filter for people in no group


def people(course, group=None, status=None):
    """A query for the course's people page, by name; `group` is a CourseGroup, NO_GROUP or None for all."""
    query = (
        select(Enrollment)
        .join(Enrollment.user)
        .where(Enrollment.course_id == course.id)
        .options(contains_eager(Enrollment.user), joinedload(Enrollment.group))
        .order_by(User.name, User.email)
    )
    if group is NO_GROUP:
        query = query.where(Enrollment.group_id.is_(None))
    elif group is not None:
        query = query.where(Enrollment.group_id == group.id)
    if status:
        query = query.where(Enrollment.status == status)
    return query


def add_person(course, email, role=TRAINEE, group=None, actor=None):
    """Enroll the account with this email, as staff do one person at a time."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise EnrollmentError(_("No account uses %(email)s.", email=email.strip()))
    if not user.active:
        raise EnrollmentError(_("The account %(email)s is deactivated.", email=user.email))
    return enroll(user, course, role=role, group=group, actor=actor)


def set_group(enrollment, group, actor=None):
    """Move a person to another group of the same course, or out of any group."""
    if enrollment.group_id == (group.id if group else None):
        return
    enrollment.group = group
    record(
        "enrollment.group_changed",
        target=f"{enrollment.course.slug}:{enrollment.user.email}",
        actor=actor,
        group=group.name if group else None,
    )


def create_group(course, name, actor=None):
    name = name.strip()
    if group_named(course, name) is not None:
        raise EnrollmentError(_("The course already has a group named %(name)s.", name=name))
    group = group_named(course, name, create=True)
    record("group.created", target=f"{course.slug}:{name}", actor=actor)
    return group
