"""Taking a quiz in the browser: start or resume, answer (saved as you go), finish, review.

The attempt belongs to its learner; the course's staff may read any attempt of their
course but change none. While an attempt is open no page or response here carries a
right answer, a fraction, feedback or a score: those appear only on the review page of
a closed attempt, and only as far as the quiz's review options allow.
"""
from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms import markdown
from lms.auth.models import utcnow
from lms.courses import services as courses
from lms.courses.models import Activity
from lms.enrollments import services as enrollments
from lms.enrollments.models import TRAINEE
from lms.extensions import db
from lms.progress.services import progress_of
from lms.quizzes import review as reviews, services
from lms.quizzes.forms import AnswerError, AttemptForm, answers_from_form, answers_from_json, sub_questions
from lms.quizzes.models import FINISHED, IN_PROGRESS, STATE_LABELS, Attempt
from lms.quizzes.services import QuizError
from lms.database import writes

bp = Blueprint("quizzes", __name__, template_folder="templates", url_prefix="/quizzes")

OWNER, STAFF = "owner", "staff"
EVERYTHING = dict.fromkeys(reviews.REVIEW_KINDS, True)


bp.add_app_template_filter(markdown.render_text, "quiz_text")


@bp.app_template_global()
def attempt_state_label(state):
    return STATE_LABELS.get(state, state)


@bp.app_template_global()
def quiz_staff(activity):
    """Whether the signed-in user teaches the quiz's course (the quiz page offers them a preview)."""
    return enrollments.is_course_staff(current_user, activity.course)


@bp.app_template_global()
def quiz_review(activity, now=None):
    """What a learner may see of a closed attempt now: {"score": bool, "correct": bool, "feedback": bool}."""
    return reviews.reveals(activity, now or utcnow())


# --- what a page shows of one slot ----------------------------------------------------


@dataclass
class SlotReview:
    """The parts of the review of one slot that the options allow; None where they do not."""

    correct: bool = False  # whether right answers are shown (matching shows them per item)
    outcome: str | None = None  # right | partial | wrong | pending
    mark: float | None = None
    right: list = field(default_factory=list)  # [(text, format)] what a right answer is
    right_choices: set = field(default_factory=set)  # multichoice: shown positions of right answers
    feedback: list = field(default_factory=list)  # [(text, format)] on the answer given
    general: tuple | None = None  # the question's general feedback
    comment: str | None = None  # the grader's comment on an essay


@dataclass
class Slot:
    """One question of an attempt as the learner sees it: answers in the attempt's order."""

    index: int
    question: object
    order: list
    number: int | None = None
    stored: object = None  # the saved answer, in the question's own indexes
    response: object = None
    review: SlotReview | None = None

    @property
    def kind(self):
        """The input the page shows: single, several, truefalse, text, matching, essay or description."""
        question = self.question
        if question.type == "multichoice":
            return "single" if question.data.get("single", True) else "several"
        return "text" if question.type in ("shortanswer", "numerical") else question.type

    @property
    def choices(self):
        """Multichoice answers as shown: [(shown position, answer)]."""
        answers = self.question.data.get("answers", [])
        return [(shown, answers[original]) for shown, original in enumerate(self.order) if original < len(answers)]

    def chosen(self, shown):
        picked = self.stored if isinstance(self.stored, list) else [self.stored]
        return self.order[shown] in [value for value in picked if isinstance(value, int)]

    @property
    def items(self):
        """Matching: the sub-questions, [(pair index, pair)]."""
        pairs = self.question.data.get("pairs", [])
        return [(index, pairs[index]) for index in sub_questions(self.question)]

    @property
    def options(self):
        """Matching: every answer text once, in the attempt's shuffled order."""
        pairs = self.question.data.get("pairs", [])
        offered = []
        for index in self.order or range(len(pairs)):
            if index < len(pairs) and pairs[index]["answer"] not in offered:
                offered.append(pairs[index]["answer"])
        return offered

    def picked(self, pair):
        return (self.stored or {}).get(str(pair), "") if isinstance(self.stored, dict) else ""

    @property
    def text(self):
        return self.stored if isinstance(self.stored, str) else ""


def numbered(slots):
    number = 0
    for slot in slots:
        if slot.question.type != "description":
            number += 1
            slot.number = number
    return slots


def attempt_slots(attempt, options=None):
    """The attempt's slots with their saved answers (and reviews when `options` is given), in two queries."""
    graded = attempt.state == FINISHED
    questions = questions_of(attempt)
    responses = {response.slot: response for response in attempt.responses}
    slots = []
    for index, entry in enumerate(attempt.layout):
        response = responses.get(index)
        slot = Slot(index, questions[entry["question"]], entry["order"], stored=response.answer if response else None,
                    response=response)
        if options is not None:
            slot.review = review_of(slot, options, graded)
        slots.append(slot)
    return numbered(slots)


def questions_of(attempt):
    return {question.id: question for question in services.load_questions(attempt)}


def review_of(slot, options, graded):
    """The review of one slot; marks and outcomes only once the attempt is graded."""
    question, response = slot.question, slot.response
    review = SlotReview(correct=options["correct"])
    fraction = response.fraction if response is not None else None
    graded = graded and response is not None and question.type != "description"
    if options["score"] and graded:
        review.mark = response.mark
    if options["correct"]:
        if graded:
            review.outcome = reviews.outcome(fraction)
        review.right = right_answers(question)
        if question.type == "multichoice":
            review.right_choices = set(reviews.right_positions(slot.order, question.data["answers"]))
    if options["feedback"]:
        review.feedback = reviews.answer_feedback(question, slot.stored)
        if question.general_feedback:
            review.general = (question.general_feedback, question.general_feedback_format)
        review.comment = response.comment if response is not None else None
    return review


def right_answers(question):
    """What a right answer is, as [(text, format)]; matching shows it per item instead."""
    data = question.data
    if question.type == "multichoice":
        return [(answer["text"], answer["text_format"]) for answer in data["answers"] if answer["fraction"] > 0]
    if question.type == "truefalse":
        return [(_("True") if data["correct"] else _("False"), "plain")]
    if question.type == "shortanswer":
        return [(answer["text"], "plain") for answer in reviews.top_answers(data["answers"]) if answer["fraction"]]
    if question.type == "numerical":
        return [
            (f"{answer['value']:g} ± {answer['tolerance']:g}" if answer["tolerance"] else f"{answer['value']:g}", "plain")
            for answer in reviews.exact_answers(data["answers"]) if answer["fraction"] == 1
        ]
    return []


# --- access ---------------------------------------------------------------------------


def quiz_or_404(activity_id):
    activity = db.session.scalar(
        select(Activity).where(Activity.id == activity_id, Activity.type_key == "quiz", Activity.archived.is_(False))
        .options(joinedload(Activity.course))
    )
    if activity is None or not courses.visible(current_user, activity.course):
        abort(404)
    return activity


def attempt_or_404(attempt_id):
    """The attempt and who is asking: its learner, or the staff of its course; nobody else learns it exists."""
    attempt = db.session.scalar(
        select(Attempt).where(Attempt.id == attempt_id)
        .options(joinedload(Attempt.activity).joinedload(Activity.course), joinedload(Attempt.enrollment))
    )
    if attempt is None:
        abort(404)
    if attempt.enrollment.user_id == current_user.id:
        return attempt, OWNER
    if enrollments.is_course_staff(current_user, attempt.activity.course):
        return attempt, STAFF
    abort(404)


def own_attempt(attempt_id):
    """The learner's own attempt, for a change; staff read attempts but never change them."""
    attempt, role = attempt_or_404(attempt_id)
    if role != OWNER or not attempt.enrollment.is_active:
        abort(403)
    return attempt


# --- pages ----------------------------------------------------------------------------


@bp.route("/<int:activity_id>/start", methods=["POST"])
@login_required
def start(activity_id):
    """Start an attempt, or resume the open one; staff who are not learners get the preview."""
    activity = quiz_or_404(activity_id)
    if not AttemptForm().validate_on_submit():
        abort(400)
    course = activity.course
    enrollment = enrollments.active_enrollment(current_user, course)
    if enrollment is None or enrollment.role != TRAINEE:
        if enrollments.is_course_staff(current_user, course):
            return redirect(url_for(".preview", activity_id=activity.id), 303)
        abort(403)
    if progress_of([enrollment])[enrollment.id].state_of(activity).locked:
        abort(403)
    try:
        attempt = services.start_or_resume(enrollment, activity, str(get_locale()))
    except QuizError as error:
        db.session.commit()  # earlier attempts that the clock closed on the way stay closed
        return render_template("quizzes/refused.html", activity=activity, message=str(error)), error.status
    db.session.commit()
    return redirect(url_for(".attempt", attempt_id=attempt.id), 303)


@bp.route("/<int:activity_id>/preview")
@login_required
def preview(activity_id):
    """The quiz's questions with their right answers, for its staff; nothing is recorded."""
    activity = quiz_or_404(activity_id)
    if not enrollments.is_course_staff(current_user, activity.course):
        abort(403)
    questions = services.quiz_questions(activity, str(get_locale()))
    slots = numbered([
        Slot(index, question, list(range(len(question.data.get("answers") or question.data.get("pairs") or []))))
        for index, question in enumerate(questions)
    ])
    for slot in slots:
        slot.review = review_of(slot, EVERYTHING, graded=False)
    return render_template("quizzes/preview.html", activity=activity, course=activity.course, slots=slots)


@bp.route("/attempts/<int:attempt_id>")
@writes
@login_required
def attempt(attempt_id):
    attempt, role = attempt_or_404(attempt_id)
    if role == STAFF:
        return redirect(url_for(".review", attempt_id=attempt.id))
    services.apply_deadline(attempt, utcnow())
    db.session.commit()
    if attempt.state not in services.OPEN:
        return redirect(url_for(".review", attempt_id=attempt.id))
    return attempt_page(attempt)


def attempt_page(attempt, error=None, status=200):
    """The open attempt with the answers saved so far; never cached, so a reload shows the server's state."""
    now = utcnow()
    response = make_response(render_template(
        "quizzes/attempt.html",
        attempt=attempt,
        activity=attempt.activity,
        course=attempt.activity.course,
        slots=attempt_slots(attempt) if attempt.state == IN_PROGRESS else [],
        remaining=reviews.seconds_left(attempt, now),
        form=AttemptForm(),
        error=error,
    ), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def already_closed(attempt):
    """A stale save or submit (double click, replay, back button): 409 and the way to the review."""
    db.session.refresh(attempt)
    return render_template("quizzes/submitted.html", attempt=attempt, activity=attempt.activity), 409


@bp.route("/attempts/<int:attempt_id>/save", methods=["POST"])
@login_required
def save(attempt_id):
    """Save without JavaScript: the attempt form's Save button."""
    attempt = own_attempt(attempt_id)
    if not AttemptForm().validate_on_submit():
        abort(400)
    if attempt.state not in services.OPEN:
        return already_closed(attempt)
    try:
        services.save_answers(attempt, answers_from_form(attempt.layout, questions_of(attempt), request.form))
    except AnswerError as error:
        db.session.rollback()
        return attempt_page(attempt, error=str(error), status=400)
    except QuizError as error:
        finish_refusal(error)
        if attempt.state not in services.OPEN:
            return already_closed(attempt)
        return attempt_page(attempt, error=str(error), status=error.status)
    db.session.commit()
    flash(_("Your answers are saved."), "success")
    return redirect(url_for(".attempt", attempt_id=attempt.id), 303)


def finish_refusal(error):
    """Keep what the clock changed (an attempt moved to overdue or closed) unless the input was bad."""
    if error.status == 400:
        db.session.rollback()
    else:
        db.session.commit()


@bp.route("/attempts/<int:attempt_id>/answers", methods=["PUT"])
def save_json(attempt_id):
    """Autosave from the page's script: {"answers": {"<slot>": value}} -> {"saved": true, ...}."""
    if not current_user.is_authenticated:
        return jsonify(error=_("Sign in again to save your answers.")), 401
    attempt = own_attempt(attempt_id)
    now = utcnow()
    try:
        answers = answers_from_json(attempt.layout, questions_of(attempt), request.get_json(silent=True))
        services.save_answers(attempt, answers, now)
    except AnswerError as error:
        db.session.rollback()
        return jsonify(error=str(error), state=attempt.state), 400
    except QuizError as error:
        finish_refusal(error)
        return jsonify(error=str(error), state=attempt.state), error.status
    db.session.commit()
    return jsonify(saved=True, state=attempt.state, saved_at=now.isoformat() + "Z", remaining=reviews.seconds_left(attempt, now))


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id):
    """Finish: save the answers the form carries, then grade once; a stale submit gets 409."""
    attempt = own_attempt(attempt_id)
    if not AttemptForm().validate_on_submit():
        abort(400)
    now = utcnow()
    if services.apply_deadline(attempt, now):
        db.session.commit()
        if attempt.state == FINISHED:
            flash(_("The time was up: the answers saved before the deadline were submitted."), "info")
        else:
            flash(_("The time was up before the attempt was submitted, so it does not count."), "error")
        return redirect(url_for(".review", attempt_id=attempt.id), 303)
    if attempt.state not in services.OPEN:
        return already_closed(attempt)
    try:
        if attempt.state == IN_PROGRESS:
            services.save_answers(attempt, answers_from_form(attempt.layout, questions_of(attempt), request.form), now)
        services.submit(attempt, now)
    except AnswerError as error:
        db.session.rollback()
        return attempt_page(attempt, error=str(error), status=400)
    except QuizError:
        db.session.rollback()  # another request submitted it first: nothing of this one counts
        return already_closed(attempt)
    db.session.commit()
    return redirect(url_for(".review", attempt_id=attempt.id), 303)


@bp.route("/attempts/<int:attempt_id>/review")
@writes
@login_required
def review(attempt_id):
    """A closed attempt as far as the review options allow; staff see all of any attempt, read-only."""
    attempt, role = attempt_or_404(attempt_id)
    now = utcnow()
    if role == OWNER:
        services.apply_deadline(attempt, now)
        db.session.commit()
        if attempt.state in services.OPEN:
            return redirect(url_for(".attempt", attempt_id=attempt.id))
        options = reviews.reveals(attempt.activity, now)
    else:
        options = EVERYTHING
    return render_template(
        "quizzes/review.html",
        attempt=attempt,
        activity=attempt.activity,
        course=attempt.activity.course,
        learner=attempt.enrollment.user if role == STAFF else None,
        slots=attempt_slots(attempt, options),
        options=options,
    )
