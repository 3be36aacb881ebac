"""What instructors learn from a quiz: attempts per learner, question statistics, regrading, CSV.

Statistics follow Moodle's quiz statistics report (question/classes/statistics/questions/
calculator.php), computed over every finished attempt: the facility index is the mean
mark on the question as a percent of its maximum; the discrimination index is 100 times
the correlation between the mark on the question and the marks on the rest of the same
attempt, None with fewer than two attempts or when either side never varies. A response
that still waits for a person's grade counts as 0 in its attempt's total (as the
attempt's score does) and is left out of its own question's figures.
"""
import math
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager

from lms.audit.services import record as audit
from lms.auth.models import User
from lms.courses.models import Activity
from lms.enrollments.models import Enrollment
from lms.extensions import db
from lms.progress.services import course_activities, score_text
from lms.quizzes import services as quizzes
from lms.quizzes.models import FINISHED, STATE_LABELS, Attempt, Question, Response

QUIZ = "quiz"
MOST_FREQUENT = 5  # free responses listed per question
NO_DISTRIBUTION = ("essay", "description")


# --- quizzes and attempts -------------------------------------------------------------


def quizzes_of(course):
    """The course's live quizzes in course order, each with (attempts, finished attempts), in two queries."""
    activities = [activity for activity in course_activities([course.id]) if activity.type_key == QUIZ]
    counts = dict.fromkeys((activity.id for activity in activities), (0, 0))
    if activities:
        rows = db.session.execute(
            select(Attempt.activity_id, func.count(Attempt.id), func.count(case((Attempt.state == FINISHED, 1))))
            .where(Attempt.activity_id.in_(list(counts)))
            .group_by(Attempt.activity_id)
        ).all()
        counts.update({activity_id: (total, finished) for activity_id, total, finished in rows})
    return [(activity, *counts[activity.id]) for activity in activities]


def quiz_of(course, slug):
    return db.session.scalar(
        select(Activity).where(Activity.course_id == course.id, Activity.slug == slug, Activity.type_key == QUIZ)
    )


def attempts_query(activity, group=None):
    """The quiz's attempts with their learners and groups, by learner and attempt number."""
    query = (
        select(Attempt)
        .join(Attempt.enrollment)
        .join(Enrollment.user)
        .where(Attempt.activity_id == activity.id)
        .options(
            contains_eager(Attempt.enrollment).contains_eager(Enrollment.user),
            contains_eager(Attempt.enrollment).joinedload(Enrollment.group),
        )
        .order_by(User.name, User.email, Attempt.enrollment_id, Attempt.number)
    )
    if group is not None:
        query = query.where(Enrollment.group_id == group.id)
    return query


def percent_text(value):
    return "" if value is None else f"{value:.1f}"


def attempts_table(attempts):
    """The attempts as rows of cells, a header first, for the CSV export."""
    rows = [[
        _("Name"), _("Email"), _("Group"), _("Attempt"), _("State"), _("Started (UTC)"), _("Finished (UTC)"),
        _("Score"), _("Maximum score"), _("Percent"), _("Needs grading"),
    ]]
    for attempt in attempts:
        enrollment = attempt.enrollment
        rows.append([
            enrollment.user.name,
            enrollment.user.email,
            enrollment.group.name if enrollment.group else "",
            attempt.number,
            str(STATE_LABELS[attempt.state]),
            time_text(attempt.started_at),
            time_text(attempt.finished_at),
            score_text(attempt.score),
            score_text(attempt.max_score),
            percent_text(attempt.percent),
            _("yes") if attempt.needs_grading and attempt.state == FINISHED else "",
        ])
    return rows


def time_text(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def regrade(activity, actor):
    """Re-mark every finished attempt that used a question of this quiz (after a correction); how many.

    quizzes.services.regrade re-marks every finished attempt using those questions, in
    other quizzes too, since a corrected question is wrong wherever it was asked.
    """
    used = (
        select(Response.question_id)
        .join(Attempt, Response.attempt_id == Attempt.id)
        .where(Attempt.activity_id == activity.id, Attempt.state == FINISHED)
        .distinct()
    )
    questions = db.session.scalars(select(Question).where(Question.id.in_(used))).all()
    count = quizzes.regrade(questions) if questions else 0
    audit("quiz.regraded", target=f"{activity.course.slug}:{activity.slug}", actor=actor,
          attempts=count, questions=len(questions))
    return count


# --- statistics -----------------------------------------------------------------------


@dataclass
class Share:
    """One line of a question's distribution of answers: what was answered, how often, what it earned."""

    label: str
    count: int
    fraction: float = None


@dataclass
class QuestionStatistics:
    question: object
    attempts: int  # graded responses counted
    facility: float = None  # percent
    discrimination: float = None  # percent, as Moodle shows it
    distribution: list = field(default_factory=list)
    unanswered: int = 0


@dataclass
class QuizStatistics:
    attempts: int
    average: float = None  # mean percent over finished attempts
    questions: list = field(default_factory=list)


def statistics(activity):
    """QuizStatistics over the quiz's finished attempts, in three queries however many there are."""
    attempts = db.session.execute(
        select(Attempt.score, Attempt.max_score).where(Attempt.activity_id == activity.id, Attempt.state == FINISHED)
    ).all()
    if not attempts:
        return QuizStatistics(attempts=0)
    rows = db.session.execute(
        select(Response.attempt_id, Response.question_id, Response.slot, Response.answer, Response.fraction, Response.mark)
        .join(Attempt, Response.attempt_id == Attempt.id)
        .where(Attempt.activity_id == activity.id, Attempt.state == FINISHED)
        .order_by(Response.attempt_id, Response.slot)
    ).all()
    totals = Counter()
    by_question, first_slot = {}, {}
    for row in rows:
        totals[row.attempt_id] += row.mark or 0
        by_question.setdefault(row.question_id, []).append(row)
        first_slot[row.question_id] = min(first_slot.get(row.question_id, row.slot), row.slot)
    questions = db.session.scalars(select(Question).where(Question.id.in_(by_question))).all()
    ordered = sorted((q for q in questions if q.type != "description"), key=lambda q: (first_slot[q.id], q.id))
    percents = [100 * (score or 0) / maximum for score, maximum in attempts if maximum]
    return QuizStatistics(
        attempts=len(attempts),
        average=sum(percents) / len(percents) if percents else None,
        questions=[question_statistics(question, by_question[question.id], totals) for question in ordered],
    )


def question_statistics(question, rows, totals):
    graded = [row for row in rows if row.fraction is not None]
    stats = QuestionStatistics(question=question, attempts=len(graded))
    if graded:
        stats.facility = 100 * sum(row.fraction for row in graded) / len(graded)
        marks = [row.mark or 0 for row in graded]
        others = [totals[row.attempt_id] - mark for row, mark in zip(graded, marks)]
        stats.discrimination = discrimination_index(marks, others)
    if question.type not in NO_DISTRIBUTION:
        stats.distribution, stats.unanswered = distribution(question, rows)
    return stats


def discrimination_index(marks, others):
    """100 x the correlation of the question's marks with the rest of each attempt, as Moodle computes it."""
    count = len(marks)
    if count < 2:
        return None
    mark_mean, other_mean = sum(marks) / count, sum(others) / count
    mark_variance = sum((mark - mark_mean) ** 2 for mark in marks) / (count - 1)
    other_variance = sum((other - other_mean) ** 2 for other in others) / (count - 1)
    covariance = sum((mark - mark_mean) * (other - other_mean) for mark, other in zip(marks, others)) / (count - 1)
    if not mark_variance * other_variance:
        return None
    return 100 * covariance / math.sqrt(mark_variance * other_variance)


def answered(answer):
    return answer not in (None, "", [], {})


def distribution(question, rows):
    """(shares, unanswered): every option with its count for choice questions, else the most frequent answers."""
    given = [row for row in rows if answered(row.answer)]
    unanswered = len(rows) - len(given)
    data = question.data
    if question.type == "multichoice":
        counts = Counter()
        for row in given:
            chosen = row.answer if isinstance(row.answer, list) else [row.answer]
            counts.update({index for index in map(to_index, chosen) if index is not None})
        shares = [
            Share(plain(option["text"]), counts[index], option["fraction"])
            for index, option in enumerate(data.get("answers", []))
        ]
        return shares, unanswered
    if question.type == "truefalse":
        counts = Counter(str(row.answer).lower() == "true" for row in given)
        correct = bool(data.get("correct"))
        return [
            Share(_("True"), counts[True], 1.0 if correct else 0.0),
            Share(_("False"), counts[False], 0.0 if correct else 1.0),
        ], unanswered
    texts = Counter()
    earned = {}
    for row in given:
        text = response_text(question, row.answer)
        texts[text] += 1
        earned.setdefault(text, row.fraction)
    return [Share(text, count, earned[text]) for text, count in texts.most_common(MOST_FREQUENT)], unanswered


def to_index(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def plain(text):
    """Answer text written in HTML or Markdown, as plain text for a table cell."""
    return Markup(text or "").striptags()


def response_text(question, answer):
    """A free answer as one line of text, so that equal answers count together."""
    if question.type == "matching" and isinstance(answer, dict):
        pairs = question.data.get("pairs", [])
        return "; ".join(
            f"{plain(pairs[int(key)]['question']) if key.isdigit() and int(key) < len(pairs) else key} → {value}"
            for key, value in sorted(answer.items(), key=lambda item: to_index(item[0]) or 0)
        )
    return " ".join(str(answer).split())
