from datetime import datetime

from lms.plugin_api import (
    ActivityType,
    CompletionCriterion,
    GradingItem,
    GradingKind,
    lazy_gettext as _l,
    render_template,
    url_for,
)


class Reflection(ActivityType):
    """A short written reflection: submitted means done; it carries no score."""

    key = "example.reflection"
    title = _l("Reflection")

    def render(self, activity, enrollment):
        return render_template("example/reflection.html", activity=activity)

    def handle_submission(self, activity, enrollment, data):
        return {"status": "completed" if data.get("text", "").strip() else "started"}

    def progress(self, activity, enrollment):
        return None

    def max_score(self, activity):
        return 0


class AlwaysReflected(CompletionCriterion):
    key = "example.reflected"
    title = _l("Has reflected")

    def is_met(self, enrollment):
        return True


class ReflectionReview(GradingKind):
    """Reflections waiting for feedback: one made-up item per course, enough to show in the queue."""

    key = "example.reflection"
    title = _l("Reflections to review")

    def pending(self, course_ids):
        return [
            GradingItem(self.key, course_id, "Reflection on week 1", "Example Learner", datetime(2024, 1, 1),
                        url_for("example.index"))
            for course_id in course_ids
        ]


def validate_reflection(path, package_root):
    """Problems as (line, message): a reflection prompt must not be empty."""
    text = path.read_text(encoding="utf-8")
    return [] if text.strip() else [(1, "The reflection prompt is empty.")]


def load_reflection(path, package_root):
    return path.read_text(encoding="utf-8")
