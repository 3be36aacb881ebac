"""The question bank and quiz attempts: a server-side state machine that loses nothing.

An attempt is in progress, overdue, finished or abandoned. The server sets the deadline
when the attempt starts; saving after the deadline (plus grace) is refused and the
attempt is closed on access. Finishing is a conditional UPDATE on the attempt's state,
so a double click, a replay or the back button grade one attempt once; grading happens
in the same transaction. Starting never updates a shared row: the attempt number is
protected by a unique constraint instead of a counter.
"""
import random
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.audit.services import record as audit
from lms.auth.models import utcnow
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import FAILED, IN_PROGRESS as PROGRESS_IN_PROGRESS, PASSED
from lms.quizzes import gift, grading
from lms.quizzes.models import ABANDONED, FINISHED, IN_PROGRESS, OVERDUE, Attempt, Question, QuestionCategory, Response

COMMON_FIELDS = ("name", "type", "text", "text_format", "general_feedback", "general_feedback_format")
GRADING_METHODS = ("highest", "average", "first", "last")
REVIEW_TIMES = ("immediately", "after_close", "never")
OPEN = (IN_PROGRESS, OVERDUE)
DEFAULT_SETTINGS = {
    "questions": "all",  # "all" of the quiz's category, or a number: that many drawn at random
    "shuffle_questions": False,
    "shuffle_answers": True,
    "attempts": 0,  # 0: unlimited
    "time_limit": 0,  # seconds; 0: none
    "grace": 60,
    "overdue": "submit",  # at expiry: "submit" the saved answers, or "discard" the attempt
    "grading_method": "highest",
    "pass_mark": 60,  # percent
    "open_at": None,
    "close_at": None,
    "review_score": "immediately",
    "review_correct": "after_close",
    "review_feedback": "immediately",
}


class QuizError(Exception):
    """A quiz action the rules refuse; `status` is the HTTP status to answer with."""

    def __init__(self, message, status=409):
        super().__init__(message)
        self.status = status


CHOICES = {
    "overdue": ("submit", "discard"),
    "grading_method": GRADING_METHODS,
    "review_score": REVIEW_TIMES,
    "review_correct": REVIEW_TIMES,
    "review_feedback": REVIEW_TIMES,
}


def check_settings(settings):
    """Problems with a quiz's settings in a course manifest, as (key, message) pairs."""
    problems = []
    for key, value in settings.items():
        if key not in DEFAULT_SETTINGS:
            problems.append((key, f"quizzes have no setting {key!r}"))
        elif key in CHOICES and value not in CHOICES[key]:
            problems.append((key, f"{key} must be one of {', '.join(CHOICES[key])}"))
        elif key in ("attempts", "time_limit", "grace") and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            problems.append((key, f"{key} must be a whole number, 0 or more"))
        elif key == "pass_mark" and (not isinstance(value, (int, float)) or not 0 <= value <= 100):
            problems.append((key, "pass_mark must be a percentage from 0 to 100"))
        elif key == "questions" and value != "all" and (not isinstance(value, int) or value < 1):
            problems.append((key, 'questions must be "all" or a number of questions to draw'))
        elif key in ("shuffle_questions", "shuffle_answers") and not isinstance(value, bool):
            problems.append((key, f"{key} must be true or false"))
        elif key in ("open_at", "close_at") and value is not None:
            try:
                parse_time(value)
            except ValueError:
                problems.append((key, f"{key} must be a date and time like 2026-09-01T09:00"))
    return problems


def settings_of(activity):
    return {**DEFAULT_SETTINGS, **activity.settings}


# --- question bank ------------------------------------------------------------------


def category_for(course, names):
    """The nested category `names` (e.g. ["Module 1", "Ethics"]) of the course, made if missing."""
    parent = None
    for name in names:
        query = select(QuestionCategory).where(
            QuestionCategory.course_id == course.id,
            QuestionCategory.name == name,
            QuestionCategory.parent_id.is_(None) if parent is None else QuestionCategory.parent_id == parent.id,
        )
        category = db.session.scalar(query)
        if category is None:
            category = QuestionCategory(course_id=course.id, name=name, parent=parent)
            db.session.add(category)
            db.session.flush()
        parent = category
    return parent


def category_names(category):
    names = []
    while category is not None:
        names.insert(0, category.name)
        category = category.parent
    return names


def import_questions(course, questions, default_category):
    """Add parsed questions (gift/aiken dicts) to the course's bank; categories from the file win."""
    added = []
    for item in questions:
        names = gift.category_path(item["category"]) if item.get("category") else default_category
        question = Question(course_id=course.id, category=category_for(course, names))
        set_fields(question, item)
        db.session.add(question)
        added.append(question)
    db.session.flush()
    return added


def fields_from(item):
    """Column values for a question from a parsed dict."""
    fields = {name: item.get(name, "") or "" for name in COMMON_FIELDS}
    fields["data"] = {key: value for key, value in item.items() if key not in (*COMMON_FIELDS, "category", "line")}
    return fields


def set_fields(question, item):
    """Write a parsed dict into the question; a change to an existing question raises its version."""
    fields = fields_from(item)
    if question.id is not None and any(getattr(question, name) != value for name, value in fields.items()):
        question.version += 1
    for name, value in fields.items():
        setattr(question, name, value)


def as_dict(question):
    """The question in the GIFT reader's shape, for export (GIFT or JSON)."""
    item = {name: getattr(question, name) for name in COMMON_FIELDS}
    item.update(question.data)
    if question.category is not None:
        item["category"] = gift.category_string(category_names(question.category))
    return item


def questions_in(course, names):
    """Questions of a category and its subcategories, in a fixed order."""
    categories = db.session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course.id)).all()
    wanted = {category.id for category in categories if category_names(category)[: len(names)] == list(names)}
    if not wanted:
        return []
    return db.session.scalars(
        select(Question).where(Question.category_id.in_(wanted)).order_by(Question.category_id, Question.id)
    ).all()


# --- attempts -----------------------------------------------------------------------


def quiz_questions(activity, language):
    """The quiz's question pool in `language`, falling back to the first language it has."""
    pool = activity.settings.get("pool") or {}
    names = pool.get(language) or next(iter(pool.values()), None)
    return questions_in(activity.course, names) if names else []


def attempts_of(enrollment, activity):
    return db.session.scalars(
        select(Attempt)
        .where(Attempt.enrollment_id == enrollment.id, Attempt.activity_id == activity.id)
        .order_by(Attempt.number)
    ).all()


def start_or_resume(enrollment, activity, language, now=None):
    """The learner's open attempt, or a new one if the rules allow."""
    now = now or utcnow()
    attempts = attempts_of(enrollment, activity)
    for attempt in attempts:
        apply_deadline(attempt, now)
        if attempt.state in OPEN:
            return attempt
    settings = settings_of(activity)
    if settings["open_at"] and now < parse_time(settings["open_at"]):
        raise QuizError(_("This quiz opens on %(when)s.", when=settings["open_at"]), 403)
    if settings["close_at"] and now > parse_time(settings["close_at"]):
        raise QuizError(_("This quiz closed on %(when)s.", when=settings["close_at"]), 403)
    if settings["attempts"] and len(attempts) >= settings["attempts"]:
        raise QuizError(_("You have used all your attempts at this quiz."), 403)
    questions = quiz_questions(activity, language)
    if not questions:
        raise QuizError(_("This quiz has no questions yet."), 409)
    chooser = random.SystemRandom()
    if isinstance(settings["questions"], int) and 0 < settings["questions"] < len(questions):
        questions = chooser.sample(questions, settings["questions"])
    elif settings["shuffle_questions"]:
        questions = chooser.sample(questions, len(questions))
    layout = [{"question": question.id, "order": answer_order(question, settings, chooser)} for question in questions]
    attempt = Attempt(
        activity_id=activity.id,
        enrollment_id=enrollment.id,
        number=(attempts[-1].number + 1) if attempts else 1,
        layout=layout,
        started_at=now,
        deadline_at=now + timedelta(seconds=settings["time_limit"]) if settings["time_limit"] else None,
        max_score=sum(question.default_mark for question in questions if question.type != "description"),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:  # a concurrent request started this attempt first: resume that one
        return next(a for a in attempts_of(enrollment, activity) if a.number == attempt.number)
    progress.record(enrollment, activity, PROGRESS_IN_PROGRESS)
    return attempt


def answer_order(question, settings, chooser):
    count = len(question.data.get("answers") or question.data.get("pairs") or [])
    order = list(range(count))
    if settings["shuffle_answers"] and question.type in ("multichoice", "matching"):
        chooser.shuffle(order)
    return order


def parse_time(value):
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)


def hard_deadline(attempt):
    """Past this, nothing more is accepted: the deadline plus the quiz's grace period."""
    return attempt.deadline_at + timedelta(seconds=settings_of(attempt.activity)["grace"])


def apply_deadline(attempt, now):
    """Move the attempt along the clock; True if this call closed it.

    After the deadline it is overdue: answers can no longer change, but it can still be
    submitted during the grace period. After that it is finished with the answers saved
    so far, or abandoned and not counted, as the quiz says.
    """
    if attempt.state not in OPEN or attempt.deadline_at is None or now <= attempt.deadline_at:
        return False
    if now <= hard_deadline(attempt):
        move(attempt, OPEN, OVERDUE)
        return False
    if settings_of(attempt.activity)["overdue"] == "submit":
        return finish(attempt, now)
    return move(attempt, OPEN, ABANDONED, finished_at=now)


def move(attempt, from_states, to_state, **values):
    """A conditional state change: only one of several concurrent requests makes it."""
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state.in_(from_states))
        .values(state=to_state, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    return bool(claimed)


def save_answers(attempt, answers, now=None):
    """Store answers by slot ({"0": ..., "1": ...}); refused once the time is up or the attempt closed."""
    now = now or utcnow()
    apply_deadline(attempt, now)
    if attempt.state == OVERDUE:
        raise QuizError(_("The time for this attempt is up: submit it now."), 409)
    # The no-op conditional UPDATE locks the attempt's row: concurrent saves and a submit of
    # the same attempt take turns instead of inserting the same response or grading stale answers.
    if attempt.state != IN_PROGRESS or not move(attempt, (IN_PROGRESS,), IN_PROGRESS):
        raise QuizError(_("This attempt is already finished."), 409)
    responses = {response.slot: response for response in attempt.responses}
    questions = {question.id: question for question in load_questions(attempt)} if answers else {}
    for key, value in answers.items():
        slot = int(key) if str(key).isdigit() else -1
        if not 0 <= slot < len(attempt.layout):
            raise QuizError(_("There is no question %(slot)s in this attempt.", slot=key), 400)
        response = responses.get(slot)
        if response is None:
            response = Response(attempt=attempt, slot=slot, question_id=attempt.layout[slot]["question"])
            db.session.add(response)
        response.answer = unshuffle(attempt.layout[slot], questions[attempt.layout[slot]["question"]], value)
        response.saved_at = now
    return attempt


def unshuffle(entry, question, value):
    """The learner picks answers by their shown position; store the question's own index."""
    order = entry["order"]
    if question.type != "multichoice" or not order:
        return value
    shown = value if isinstance(value, list) else [value]
    original = [order[int(index)] for index in shown if str(index).isdigit() and int(index) < len(order)]
    return original if isinstance(value, list) else (original[0] if original else None)


def submit(attempt, now=None):
    """Finish and grade the attempt exactly once; a second submit answers 409."""
    now = now or utcnow()
    if apply_deadline(attempt, now):
        return attempt
    if not finish(attempt, now):
        raise QuizError(_("This attempt has already been submitted."), 409)
    return attempt


def finish(attempt, now):
    """Close and grade the attempt; audited, whether the learner or the clock finished it."""
    if not move(attempt, OPEN, FINISHED, finished_at=now):
        return False
    grade(attempt, new=True)
    audit(
        "quiz.attempt_graded", target=f"attempt:{attempt.id}", actor=attempt.enrollment.user,
        score=attempt.score, max_score=attempt.max_score, needs_grading=attempt.needs_grading,
    )
    return True


def grade(attempt, new=False):
    """Mark every response, total the attempt and report the quiz's grade to progress;
    `new` when it has just finished, so that a regrade is not counted as another attempt."""
    questions = {question.id: question for question in load_questions(attempt)}
    responses = {response.slot: response for response in attempt.responses}
    needs_person = False
    for slot, entry in enumerate(attempt.layout):
        question = questions[entry["question"]]
        response = responses.get(slot)
        if response is None:
            response = Response(attempt=attempt, slot=slot, question_id=question.id)
            db.session.add(response)
        if response.graded_by_id is not None:
            continue  # a person's grade stands
        response.fraction = grading.fraction(question, response.answer)
        response.mark = None if response.fraction is None else response.fraction * question.default_mark
        needs_person = needs_person or response.fraction is None
    attempt.needs_grading = needs_person
    attempt.score = sum(response.mark or 0 for response in attempt.responses)
    report_progress(attempt.enrollment, attempt.activity, new)


def load_questions(attempt):
    ids = [entry["question"] for entry in attempt.layout]
    return db.session.scalars(select(Question).where(Question.id.in_(ids))).all()


def quiz_grade(attempts, method):
    """The percent the grading method gives over finished attempts, or None."""
    graded = [attempt.percent for attempt in attempts if attempt.state == FINISHED and attempt.percent is not None]
    if not graded:
        return None
    if method == "average":
        return sum(graded) / len(graded)
    if method == "first":
        return graded[0]
    if method == "last":
        return graded[-1]
    return max(graded)


def report_progress(enrollment, activity, new_attempt=False):
    settings = settings_of(activity)
    attempts = attempts_of(enrollment, activity)
    percent = quiz_grade(attempts, settings["grading_method"])
    if percent is None:
        return
    pending = any(attempt.needs_grading for attempt in attempts if attempt.state == FINISHED)
    status = PASSED if percent >= settings["pass_mark"] else (PROGRESS_IN_PROGRESS if pending else FAILED)
    progress.record(enrollment, activity, status, score=round(percent, 2), attempt=new_attempt, graded=True)


def grade_response(response, mark, comment, grader):
    """A person grades an essay (or overrides a mark); the attempt is re-totalled."""
    question = response.question
    if not 0 <= mark <= question.default_mark:
        raise QuizError(_("The mark must be between 0 and %(max)s.", max=question.default_mark), 400)
    response.mark, response.fraction = mark, (mark / question.default_mark if question.default_mark else 0)
    response.comment, response.graded_by, response.graded_at = comment, grader, utcnow()
    audit("quiz.response_graded", target=f"attempt:{response.attempt_id}:{response.slot}", actor=grader, mark=mark)
    grade(response.attempt)


def close_overdue(now=None):
    """Close every attempt whose time and grace are up (`quizzes close-overdue`); how many."""
    now = now or utcnow()
    candidates = db.session.scalars(
        select(Attempt).where(Attempt.state.in_(OPEN), Attempt.deadline_at.is_not(None), Attempt.deadline_at < now)
    ).all()
    return sum(1 for attempt in candidates if apply_deadline(attempt, now))


def regrade(questions):
    """Re-mark every finished attempt that used these questions (after a correction)."""
    ids = {question.id for question in questions}
    used = select(Response.attempt_id).where(Response.question_id.in_(ids))  # no DISTINCT: PostgreSQL cannot compare JSON
    attempts = db.session.scalars(select(Attempt).where(Attempt.id.in_(used), Attempt.state == FINISHED)).all()
    for attempt in attempts:
        grade(attempt)
    return len(attempts)
