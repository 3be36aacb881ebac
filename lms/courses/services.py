"""Finding courses and deciding who may see and change them."""
from sqlalchemy import select

from lms.courses.models import Course
from lms.enrollments.models import ACTIVE, INSTRUCTOR, Enrollment
from lms.enrollments.services import is_course_staff
from lms.extensions import db
from lms.auth.models import User


def catalog(text=None, language=None, category=None):
    """Published courses matching a search, for the catalog.

    Matching happens in Python so that Kazakh and Russian text is compared without
    regard to case on SQLite too (its lower() knows only ASCII); catalogs are small.
    """
    query = select(Course).where(Course.published.is_(True)).order_by(Course.id)
    if category:
        query = query.where(Course.category == category)
    courses = db.session.scalars(query).all()
    if language:
        courses = [course for course in courses if language in course.languages]
    if text and text.strip():
        needle = text.strip().casefold()
        courses = [course for course in courses if needle in searchable_text(course)]
    return courses


def searchable_text(course):
    return " ".join([course.slug, *course.title.values(), *course.description.values()]).casefold()


def categories():
    return db.session.scalars(select(Course.category).where(Course.published.is_(True)).distinct().order_by(Course.category)).all()


def visible(user, course):
    """Published courses are public; drafts only for their staff."""
    return course.published or is_course_staff(user, course)


def can_edit(user, course):
    return is_course_staff(user, course)


def instructors_of(course_ids):
    """Active instructors per course id, in one query."""
    rows = db.session.execute(
        select(Enrollment.course_id, User)
        .join(User, Enrollment.user_id == User.id)
        .where(Enrollment.course_id.in_(course_ids), Enrollment.role == INSTRUCTOR, Enrollment.status == ACTIVE)
        .order_by(User.name)
    ).all()
    result = {course_id: [] for course_id in course_ids}
    for course_id, user in rows:
        result[course_id].append(user)
    return result
