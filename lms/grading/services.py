"""The grading queue: work that waits for a person's grade, of every kind the plugins contribute.

The core contributes one kind, quiz essays; plugins add theirs through `lms_grading_kinds`.
Each kind finds its pending items for a set of courses in a fixed number of queries, and
the queue merges them, oldest first.
"""
from flask import url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from lms import markdown
from lms.auth.models import User
from lms.contributions import GradingItem, GradingKind
from lms.courses.models import Activity, Course, localized
from lms.enrollments.models import ACTIVE, INSTRUCTOR, Enrollment
from lms.extensions import db
from lms.quizzes.models import FINISHED, Attempt, Question, Response

ESSAY = "essay"


def teaching(user):
    """Conditions for the user's active instructor enrollments."""
    return Enrollment.user_id == user.id, Enrollment.role == INSTRUCTOR, Enrollment.status == ACTIVE


def taught_courses(user):
    """The courses whose work the user grades (every course for administrators), in one query."""
    query = select(Course).order_by(Course.slug)
    if not user.is_admin:
        query = query.join(Enrollment, Enrollment.course_id == Course.id).where(*teaching(user))
    return db.session.scalars(query).all()


def teaches_any(user):
    """Whether the user grades anything at all: administrators, and instructors of a course (one query)."""
    if not user.is_authenticated:
        return False
    return user.is_admin or db.session.scalar(select(exists().where(*teaching(user))))


def pending(kinds, course_ids, kind_key=None):
    """Every pending item of these kinds (or of the one `kind_key`) in these courses, oldest first."""
    if not course_ids:
        return []
    chosen = [kinds[kind_key]] if kind_key else kinds.values()
    items = [item for kind in chosen for item in kind().pending(course_ids)]
    return sorted(items, key=lambda item: (item.submitted_at, item.title))


class EssayKind(GradingKind):
    """Essay answers in finished quiz attempts that no one has graded yet."""

    key = "quiz.essay"
    title = _l("Quiz essays")

    def pending(self, course_ids):
        rows = db.session.execute(
            select(Response.id, Question.name, Activity.title, Activity.course_id, User.name, Attempt.finished_at)
            .join(Attempt, Response.attempt_id == Attempt.id)
            .join(Question, Response.question_id == Question.id)
            .join(Activity, Attempt.activity_id == Activity.id)
            .join(Enrollment, Attempt.enrollment_id == Enrollment.id)
            .join(User, Enrollment.user_id == User.id)
            .where(
                Activity.course_id.in_(course_ids),
                Attempt.state == FINISHED,
                Question.type == ESSAY,
                Response.graded_by_id.is_(None),
            )
        ).all()
        return [
            GradingItem(
                kind=self.key,
                course_id=course_id,
                title=_("%(quiz)s: %(question)s", quiz=localized(quiz_title), question=question_name),
                learner=learner,
                submitted_at=finished_at,
                url=url_for("grading.essay", response_id=response_id),
            )
            for response_id, question_name, quiz_title, course_id, learner, finished_at in rows
        ]


def essay_response(response_id):
    """An essay response of a finished attempt with all its grading page shows (one query), or None."""
    response = db.session.scalar(
        select(Response)
        .where(Response.id == response_id)
        .options(
            joinedload(Response.question),
            joinedload(Response.attempt).joinedload(Attempt.enrollment).joinedload(Enrollment.user),
            joinedload(Response.attempt).joinedload(Attempt.activity).joinedload(Activity.course),
        )
    )
    if response is None or response.question.type != ESSAY or response.attempt.state != FINISHED:
        return None
    return response


def question_html(question):
    """The question's text as safe HTML, whichever format it was written in."""
    return markdown.render_text(question.text, question.text_format)


def answer_text(response):
    """The learner's essay as plain text (the page escapes it)."""
    return response.answer if isinstance(response.answer, str) else ""
