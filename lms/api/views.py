"""JSON API v1: courses, enrollment, progress, the course report, quiz attempts. Described in openapi.json.

Callers authenticate with a personal token (`Authorization: Bearer ...`, no CSRF: a
browser never sends it by itself) or with the browser session, whose state-changing
requests must carry the CSRF token in the X-CSRFToken header. Every error is
{"error": {"code": ..., "message": ...}}.
"""
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, request, send_file
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.api import services
from lms.audit.services import record as audit
from lms.auth.models import User, utcnow
from lms.courses import services as courses
from lms.courses.models import Activity, Course, Module
from lms.enrollments import services as enrollments
from lms.enrollments.models import ACTIVE, TRAINEE, Enrollment
from lms.extensions import csrf, db, limiter
from lms.lessons.activity import MARK, VIEW, LessonType
from lms.markdown import render_text
from lms.progress.models import COMPLETED
from lms.progress.services import course_activities, progress_of, record
from lms.quizzes import review as reviews, services as quizzes
from lms.quizzes.activity import QuizType
from lms.quizzes.models import ABANDONED, FINISHED, Attempt
from lms.database import writes

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).with_name("openapi.json")
PUBLIC_ENDPOINTS = {"api.openapi"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TOKEN_FAILURE_LIMIT = "10 per minute"
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000

# Session requests are checked in `authenticate`, after we know that they are not token requests.
csrf.exempt(bp)
# Refused tokens count against the caller's address; requests without a token are not counted.
limiter.shared_limit(
    TOKEN_FAILURE_LIMIT,
    scope="api-token",
    exempt_when=lambda: "Authorization" not in request.headers,
    deduct_when=lambda response: response.status_code == 401,
)(bp)


class ApiError(Exception):
    """An error answered as JSON; `details` join code and message in the error object."""

    def __init__(self, status, code, message, **details):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


# --- errors ----------------------------------------------------------------------------


def error_response(status, code, message, headers=None, **details):
    response = jsonify(error={"code": code, "message": message, **details})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kelisim"'
    response.headers.extend(headers or {})
    return response


def http_error_response(error):
    messages = {
        400: _("The request is not valid."),
        401: _("Sign in or send an API token."),
        403: _("You may not do this."),
        404: _("There is nothing at this address."),
        405: _("This address does not accept the %(method)s method.", method=request.method),
        409: _("This conflicts with the current state."),
        429: _("Too many requests. Wait a minute and try again."),
    }
    code = (error.name or "error").lower().replace(" ", "_")
    headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else None
    return error_response(error.code, code, messages.get(error.code, error.description), headers)


@bp.errorhandler(ApiError)
def api_error(error):
    return error_response(error.status, error.code, error.message, **error.details)


@bp.errorhandler(CSRFError)
def csrf_error(error):
    return error_response(400, "csrf_failed", _("Send the CSRF token of your session in the X-CSRFToken header."))


@bp.errorhandler(HTTPException)
def http_error(error):
    return http_error_response(error)


@bp.errorhandler(InternalServerError)
def server_error(error):
    db.session.rollback()
    return error_response(500, "internal_server_error", _("Something went wrong on our side. Try again later."))


@bp.before_app_request
def unrouted_api_request():
    """Unknown paths and methods under /api/ match no API route, so the handlers above never see them."""
    error = request.routing_exception
    if error is not None and request.path.startswith("/api/") and getattr(error, "code", 0) >= 400:
        return http_error_response(error)


# --- authentication --------------------------------------------------------------------


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "invalid_token", _("Send the token as: Authorization: Bearer <token>."))
        user = services.authenticate(token.strip())
        db.session.commit()  # keeps last_used_at
        if user is None:
            raise ApiError(401, "invalid_token", _("The API token is not valid or has been revoked."))
        if not user.active:
            raise ApiError(401, "account_deactivated", _("This account is deactivated."))
        # Flask-Login's per-request user: current_user for this request only, no session cookie.
        g._login_user = user
    elif not current_user.is_authenticated:
        raise ApiError(401, "unauthorized", _("Sign in or send an API token."))
    elif request.method not in SAFE_METHODS:
        csrf.protect()


# --- helpers ---------------------------------------------------------------------------


def visible_course(slug):
    """The course if this user may see it; drafts do not exist for anyone but their staff."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not courses.visible(current_user, course):
        raise ApiError(404, "not_found", _("There is no course %(slug)s.", slug=slug))
    return course


def live_activity(course, slug):
    activity = db.session.scalar(
        select(Activity)
        .join(Activity.module)
        .where(Activity.course_id == course.id, Activity.slug == slug, Activity.archived.is_(False), Module.archived.is_(False))
        .options(contains_eager(Activity.module))
    )
    if activity is None:
        raise ApiError(404, "not_found", _("The course has no activity %(slug)s.", slug=slug))
    return activity


def page_argument(name, default, maximum):
    value = request.args.get(name, "")
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ApiError(400, "bad_request", _("%(name)s must be a whole number from 1 to %(maximum)d.", name=name, maximum=maximum))
    return int(value)


def course_json(course):
    return {
        "slug": course.slug,
        "title": course.display_title,
        "titles": course.title,
        "category": course.category,
        "hours": course.hours,
        "languages": course.languages,
        "enrollment_policy": course.enrollment_policy,
    }


def activity_json(activity):
    return {
        "slug": activity.slug,
        "type": activity.type_key,
        "title": activity.display_title,
        "required": activity.required,
        "weight": activity.weight,
        "prerequisites": activity.prerequisites,
    }


def result_json(state):
    return {"slug": state.activity.slug, "status": state.status, "score": state.progress.score if state.progress else None}


def state_json(state):
    return {**result_json(state), "type": state.activity.type_key, "locked": state.locked}


def enrollment_json(enrollment):
    return {
        "course": enrollment.course.slug,
        "role": enrollment.role,
        "status": enrollment.status,
        "group": enrollment.group.name if enrollment.group else None,
        "enrolled_at": enrollment.enrolled_at.isoformat() + "Z",
    }


# --- endpoints -------------------------------------------------------------------------


@bp.route("/openapi.json")
def openapi():
    return send_file(OPENAPI, mimetype="application/json", max_age=3600)


@bp.route("/courses")
def list_courses():
    found = courses.catalog(request.args.get("q"), request.args.get("language") or None, request.args.get("category") or None)
    return jsonify(courses=[course_json(course) for course in found])


@bp.route("/courses/<slug>")
def course_detail(slug):
    course = visible_course(slug)
    enrollment = enrollments.enrollment_of(current_user, course)
    modules = {}
    for activity in course_activities([course.id]):
        modules.setdefault(activity.module, []).append(activity_json(activity))
    return jsonify(
        course={
            **course_json(course),
            "description": course.display_description,
            "version": course.version,
            "enrollment": enrollment_json(enrollment) if enrollment else None,
            "modules": [
                {"slug": module.slug, "title": module.display_title, "activities": activities}
                for module, activities in modules.items()
            ],
        }
    )


@bp.route("/courses/<slug>/enroll", methods=["POST"])
def enroll(slug):
    course = visible_course(slug)
    body = request.get_json(force=True, silent=True) if request.get_data() else {}
    if not isinstance(body, dict) or not isinstance(body.get("key", ""), (str, type(None))):
        raise ApiError(400, "bad_request", _('Send a JSON object, with the enrollment key as "key" if the course needs one.'))
    if enrollments.active_enrollment(current_user, course) is not None:
        raise ApiError(409, "already_enrolled", _("You are already enrolled in this course."))
    try:
        enrollment = enrollments.self_enroll(current_user, course, body.get("key"))
    except enrollments.EnrollmentError as error:
        db.session.rollback()
        raise ApiError(403, "enrollment_refused", str(error))
    db.session.commit()
    return jsonify(enrollment=enrollment_json(enrollment)), 201


@bp.route("/me/progress")
def my_progress():
    mine = enrollments.my_enrollments(current_user)
    standings = progress_of(mine)
    return jsonify(
        courses=[
            {
                "course": enrollment.course.slug,
                "title": enrollment.course.display_title,
                "role": enrollment.role,
                "percent": standings[enrollment.id].percent,
                "activities": [state_json(state) for state in standings[enrollment.id].states],
            }
            for enrollment in mine
        ]
    )


@bp.route("/courses/<slug>/activities/<activity_slug>/complete", methods=["POST"])
def complete(slug, activity_slug):
    """Mark a lesson done, as its "Mark as done" button does; other activities finish by being taken."""
    course = visible_course(slug)
    activity = live_activity(course, activity_slug)
    enrollment = enrollments.active_enrollment(current_user, course)
    if enrollment is None:
        raise ApiError(403, "not_enrolled", _("Enroll in the course first."))
    if activity.type_key != LessonType.key or LessonType.completion(activity) not in (MARK, VIEW):
        raise ApiError(409, "not_self_completable", _("This activity is completed by taking it, not by marking it done."))
    state = progress_of([enrollment])[enrollment.id].state_of(activity)
    if state.locked:
        raise ApiError(
            403, "locked", _("Finish the activities this one depends on first."),
            missing_prerequisites=[prerequisite.slug for prerequisite in state.locked_by],
        )
    if not state.done:
        record(enrollment, activity, COMPLETED)
        audit("activity.completed", target=f"{course.slug}/{activity.slug}:{current_user.email}", via="api")
        db.session.commit()
    standing = progress_of([enrollment])[enrollment.id]
    return jsonify(course=course.slug, percent=standing.percent, activity=state_json(standing.state_of(activity)))


@bp.route("/courses/<slug>/progress")
def course_progress(slug):
    """The course report for its staff: active trainees, a page at a time."""
    course = visible_course(slug)
    if not enrollments.is_course_staff(current_user, course):
        raise ApiError(403, "forbidden", _("Only the course's instructors can read its progress report."))
    page = page_argument("page", 1, MAX_PAGE)
    per_page = page_argument("per_page", current_app.config["LMS_PAGE_SIZE"], MAX_PER_PAGE)
    pagination = db.paginate(
        select(Enrollment)
        .join(Enrollment.user)
        .where(Enrollment.course_id == course.id, Enrollment.role == TRAINEE, Enrollment.status == ACTIVE)
        .options(contains_eager(Enrollment.user), joinedload(Enrollment.group))
        .order_by(User.name, User.email, Enrollment.id),
        page=page, per_page=per_page, error_out=False,
    )
    standings = progress_of(pagination.items)
    return jsonify(
        course=course.slug,
        page=page,
        per_page=per_page,
        total=pagination.total,
        pages=pagination.pages,
        activities=[activity_json(activity) for activity in course_activities([course.id])],
        learners=[
            {
                "email": enrollment.user.email,
                "name": enrollment.user.name,
                "group": enrollment.group.name if enrollment.group else None,
                "percent": standings[enrollment.id].percent,
                "activities": [result_json(state) for state in standings[enrollment.id].states],
            }
            for enrollment in pagination.items
        ],
    )


# --- quizzes ---------------------------------------------------------------------------
#
# An attempt belongs to its learner: anyone else gets 404, except the course's staff, who
# may read it. While an attempt is open no answer reveals a correct answer, a fraction,
# feedback or a score, and after it is finished only what the quiz's review options allow.


def quiz_or_404(activity_id):
    activity = db.session.scalar(
        select(Activity)
        .join(Activity.module)
        .where(
            Activity.id == activity_id, Activity.type_key == QuizType.key,
            Activity.archived.is_(False), Module.archived.is_(False),
        )
    )
    if activity is None or not courses.visible(current_user, activity.course):
        raise ApiError(404, "not_found", _("There is no quiz %(id)s.", id=activity_id))
    return activity


def attempt_or_404(attempt_id, change=False):
    """The attempt for its learner; the course's staff may read it but not answer or submit it."""
    attempt = db.session.get(Attempt, attempt_id, options=[joinedload(Attempt.enrollment), joinedload(Attempt.activity)])
    if attempt is not None:
        if attempt.enrollment.user_id == current_user.id:
            if change and not attempt.enrollment.is_active:
                raise ApiError(403, "not_enrolled", _("You are no longer enrolled in this course."))
            return attempt
        if enrollments.is_course_staff(current_user, attempt.activity.course):
            if change:
                raise ApiError(403, "forbidden", _("Staff can read attempts but not answer or submit them."))
            return attempt
    raise ApiError(404, "not_found", _("There is no attempt %(id)s.", id=attempt_id))


def refuse(error, code):
    """Answer a refused quiz action. A state refusal may follow a change made on the way
    (an attempt closed by the clock), which is kept; a bad request changes nothing."""
    if error.status == 400:
        db.session.rollback()
        raise ApiError(400, "bad_request", str(error))
    db.session.commit()
    raise ApiError(error.status, code, str(error))


def utc_iso(value):
    return value.isoformat() + "Z" if value is not None else None


def question_html(text, text_format):
    """Question and answer text as sanitised HTML, as the quiz pages show it."""
    return str(render_text(text, text_format)) if text else ""


OUTCOME_WORDS = {"right": "correct", "wrong": "incorrect"}


def revealed(attempt, now):
    """What of a finished attempt the review options show its learner; its staff see it all."""
    if attempt.state != FINISHED:
        return {"score": False, "correct_answers": False, "feedback": False}
    shown = reviews.reveals(attempt.activity, now, staff=attempt.enrollment.user_id != current_user.id)
    return {"score": shown["score"], "correct_answers": shown["correct"], "feedback": shown["feedback"]}


def attempt_json(attempt, now):
    review = revealed(attempt, now)
    questions = {question.id: question for question in quizzes.load_questions(attempt)}
    responses = {response.slot: response for response in attempt.responses}
    body = {
        "id": attempt.id,
        "quiz": attempt.activity_id,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": utc_iso(attempt.started_at),
        "deadline_at": utc_iso(attempt.deadline_at),
        "finished_at": utc_iso(attempt.finished_at),
        "seconds_left": reviews.seconds_left(attempt, now),
        "review": review,
        "questions": [
            slot_json(slot, entry, questions[entry["question"]], responses.get(slot), review)
            for slot, entry in enumerate(attempt.layout)
            if entry["question"] in questions  # a question deleted from the bank since
        ],
    }
    if review["score"]:
        body.update(
            score=attempt.score, max_score=attempt.max_score, percent=attempt.percent, needs_grading=attempt.needs_grading
        )
    return body


def slot_json(slot, entry, question, response, review):
    """One question as the learner sees it: answer options in the attempt's order, positions to answer with."""
    data, answer = question.data, response.answer if response else None
    item = {"slot": slot, "type": question.type, "text": question_html(question.text, question.text_format)}
    if question.type == "description":
        return item
    item["max_mark"] = question.default_mark
    if question.type == "multichoice":
        order = reviews.shown_order(entry["order"], len(data["answers"]))
        item["multiple"] = not data.get("single", True)
        options = [data["answers"][index] for index in order]
        item["options"] = [question_html(option["text"], option["text_format"]) for option in options]
        answer = reviews.shown_positions(order, answer)
    elif question.type == "matching":
        pairs = data["pairs"]
        item["items"] = [
            {"key": str(index), "text": question_html(pairs[index]["question"], pairs[index]["question_format"])}
            for index in reviews.shown_order(entry["order"], len(pairs))
            if pairs[index]["question"]
        ]
        item["choices"] = sorted({pair["answer"] for pair in pairs})  # never in the items' order
    item["answer"] = answer
    if review["score"]:
        item["mark"] = response.mark if response else None
        item["outcome"] = outcome(response.fraction if response else None)
    if review["correct_answers"]:
        item["correct_answer"] = reviews.correct_answer(question, entry["order"])
    if review["feedback"]:
        item["feedback"] = {
            "answer": [
                question_html(text, text_format)
                for text, text_format in reviews.answer_feedback(question, response.answer if response else None)
            ],
            "general": question_html(question.general_feedback, question.general_feedback_format) or None,
            "comment": response.comment if response else None,
        }
    return item


def outcome(fraction):
    """The shared outcome in the API's words (correct/incorrect where the pages say right/wrong)."""
    word = reviews.outcome(fraction)
    return OUTCOME_WORDS.get(word, word)


@bp.route("/quizzes/<int:activity_id>/attempts", methods=["POST"])
def start_attempt(activity_id):
    """Start the learner's next attempt, or resume the open one (after a lost connection, on another device)."""
    activity = quiz_or_404(activity_id)
    enrollment = enrollments.active_enrollment(current_user, activity.course)
    if enrollment is None or enrollment.role != TRAINEE:
        raise ApiError(403, "not_enrolled", _("Enroll in the course as a trainee to take its quizzes."))
    state = progress_of([enrollment])[enrollment.id].state_of(activity)
    if state.locked:
        raise ApiError(
            403, "locked", _("Finish the activities this one depends on first."),
            missing_prerequisites=[prerequisite.slug for prerequisite in state.locked_by],
        )
    now = utcnow()
    try:
        attempt = quizzes.start_or_resume(enrollment, activity, str(get_locale()), now)
    except quizzes.QuizError as error:
        refuse(error, "quiz_unavailable" if error.status == 403 else "no_questions")
    started = attempt.started_at == now  # a resumed attempt started in an earlier request
    db.session.commit()
    return jsonify(attempt=attempt_json(attempt, now)), 201 if started else 200


@bp.route("/attempts/<int:attempt_id>")
@writes
def attempt_detail(attempt_id):
    """The attempt as it stands; one whose time is up is closed on the way, as on every access."""
    attempt = attempt_or_404(attempt_id)
    now = utcnow()
    quizzes.apply_deadline(attempt, now)
    db.session.commit()
    return jsonify(attempt=attempt_json(attempt, now))


@bp.route("/attempts/<int:attempt_id>/answers", methods=["PUT"])
def save_attempt_answers(attempt_id):
    attempt = attempt_or_404(attempt_id, change=True)
    body = request.get_json(force=True, silent=True)
    answers = body.get("answers") if isinstance(body, dict) else None
    if not isinstance(answers, dict):
        raise ApiError(400, "bad_request", _('Send the answers by question number: {"answers": {"0": ..., "1": ...}}.'))
    now = utcnow()
    try:
        quizzes.save_answers(attempt, answers, now)
    except quizzes.QuizError as error:
        refuse(error, "time_up" if attempt.deadline_at and now > attempt.deadline_at else "attempt_closed")
    db.session.commit()
    return jsonify(attempt=attempt_json(attempt, now))


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
def submit_attempt(attempt_id):
    """Finish and grade the attempt in this one transaction; a second submit (a double click, a replay) gets 409."""
    attempt = attempt_or_404(attempt_id, change=True)
    now = utcnow()
    try:
        quizzes.submit(attempt, now)
    except quizzes.QuizError as error:
        refuse(error, "already_submitted")
    if attempt.state == ABANDONED:
        db.session.commit()
        raise ApiError(409, "time_up", _("The time for this attempt ran out, so it does not count."))
    db.session.commit()
    return jsonify(attempt=attempt_json(attempt, now))
