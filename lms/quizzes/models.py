from flask_babel import lazy_gettext as _l

from lms.auth.models import utcnow
from lms.extensions import db

IN_PROGRESS, OVERDUE, FINISHED, ABANDONED = "in_progress", "overdue", "finished", "abandoned"
ATTEMPT_STATES = (IN_PROGRESS, OVERDUE, FINISHED, ABANDONED)
STATE_LABELS = {
    IN_PROGRESS: _l("In progress"),
    OVERDUE: _l("Time is up"),
    FINISHED: _l("Finished"),
    ABANDONED: _l("Not submitted in time"),
}


class QuestionCategory(db.Model):
    """A folder of the course's question bank; categories nest."""

    __tablename__ = "question_categories"
    __table_args__ = (db.UniqueConstraint("course_id", "parent_id", "name"),)

    id = db.Column(db.Integer, primary_key=True)
    course_id = db.Column(db.Integer, db.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    parent_id = db.Column(db.Integer, db.ForeignKey("question_categories.id", ondelete="CASCADE"), index=True)
    name = db.Column(db.String(200), nullable=False)

    parent = db.relationship("QuestionCategory", remote_side=[id])


class Question(db.Model):
    """A question in the shape of the GIFT reader's dicts: common fields as columns, the
    type's own fields (answers, pairs, correct ...) in `data`."""

    __tablename__ = "questions"

    id = db.Column(db.Integer, primary_key=True)
    course_id = db.Column(db.Integer, db.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    category_id = db.Column(db.Integer, db.ForeignKey("question_categories.id", ondelete="SET NULL"), index=True)
    type = db.Column(db.String(20), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    text = db.Column(db.Text, nullable=False, default="")
    text_format = db.Column(db.String(10), nullable=False, default="moodle")
    general_feedback = db.Column(db.Text, nullable=False, default="")
    general_feedback_format = db.Column(db.String(10), nullable=False, default="moodle")
    data = db.Column(db.JSON, nullable=False, default=dict)
    default_mark = db.Column(db.Float, nullable=False, default=1)
    version = db.Column(db.Integer, nullable=False, default=1)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    category = db.relationship("QuestionCategory")


class Attempt(db.Model):
    """One try at a quiz. The server alone sets `deadline_at`; `number` makes a second
    concurrent start of the same attempt fail on the unique constraint, not on a counter."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (db.UniqueConstraint("enrollment_id", "activity_id", "number"),)

    id = db.Column(db.Integer, primary_key=True)
    activity_id = db.Column(db.Integer, db.ForeignKey("activities.id", ondelete="CASCADE"), nullable=False, index=True)
    enrollment_id = db.Column(db.Integer, db.ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False, index=True)
    number = db.Column(db.Integer, nullable=False)
    state = db.Column(db.String(20), nullable=False, default=IN_PROGRESS, index=True)
    layout = db.Column(db.JSON, nullable=False)  # [{"question": id, "order": [answer indexes]}] per slot
    started_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    deadline_at = db.Column(db.DateTime, index=True)
    finished_at = db.Column(db.DateTime)
    score = db.Column(db.Float)  # marks obtained; None until graded
    max_score = db.Column(db.Float, nullable=False, default=0)
    needs_grading = db.Column(db.Boolean, nullable=False, default=False)

    activity = db.relationship("Activity")
    enrollment = db.relationship("Enrollment")
    responses = db.relationship("Response", back_populates="attempt", order_by="Response.slot", cascade="all, delete-orphan")

    @property
    def percent(self):
        if self.score is None or not self.max_score:
            return None
        return 100 * self.score / self.max_score


class Response(db.Model):
    """The learner's answer in one slot of an attempt, and its grade."""

    __tablename__ = "quiz_responses"
    __table_args__ = (db.UniqueConstraint("attempt_id", "slot"),)

    id = db.Column(db.Integer, primary_key=True)
    attempt_id = db.Column(db.Integer, db.ForeignKey("quiz_attempts.id", ondelete="CASCADE"), nullable=False, index=True)
    question_id = db.Column(db.Integer, db.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False, index=True)
    slot = db.Column(db.Integer, nullable=False)
    answer = db.Column(db.JSON)
    fraction = db.Column(db.Float)  # 0..1 once graded; None while an essay waits for a grader
    mark = db.Column(db.Float)
    comment = db.Column(db.Text)
    graded_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    graded_at = db.Column(db.DateTime)
    saved_at = db.Column(db.DateTime)

    attempt = db.relationship("Attempt", back_populates="responses")
    question = db.relationship("Question")
    graded_by = db.relationship("User")
