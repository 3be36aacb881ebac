"""The kinds of things plugins contribute through the hooks in `lms.hookspecs`."""
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath


@dataclass(frozen=True)
class NavItem:
    """A link in the main navigation. `label` should be a lazy_gettext string."""

    label: str
    endpoint: str
    order: int = 100


@dataclass(frozen=True)
class DashboardPanel:
    """A box on the dashboard, rendered from the plugin's own template with `context`."""

    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


@dataclass(frozen=True)
class CourseFileHandler:
    """Claims the course-package files matching `pattern` (e.g. `scenarios/*.toml`).

    `validate(path, package_root)` returns a list of `(line, message)` problems;
    `load(path, package_root)` returns the text stored as the activity's content for
    that language (the activity type parses it when it needs to), so that exporting a
    course writes the same file back.
    """

    pattern: str
    validate: object
    load: object

    def matches(self, relative_path):
        return PurePosixPath(relative_path).match(self.pattern)


class ActivityType:
    """One kind of activity in a course (lesson, quiz, roleplay.scenario ...).

    Subclasses set `key` (unique, prefixed with the plugin name for plugins) and
    `title`, and implement how the activity renders, takes a submission, reports
    progress and what its maximum score is.
    """

    key = None
    title = None

    def check_settings(self, settings):
        """Problems with the type's own keys in a course manifest, as (key, message) pairs."""
        return []

    def imported(self, activity):
        """A course package was imported with this activity in it; parse its content if needed."""

    def open(self, activity, enrollment):
        """The learner opened the activity: report it through lms.progress.services.record."""
        raise NotImplementedError

    def render(self, activity, enrollment):
        raise NotImplementedError

    def handle_submission(self, activity, enrollment, data):
        raise NotImplementedError

    def progress(self, activity, enrollment):
        raise NotImplementedError

    def max_score(self, activity):
        raise NotImplementedError


class CompletionCriterion:
    """A rule that must hold for an enrollment to count as complete."""

    key = None
    title = None

    def is_met(self, enrollment):
        raise NotImplementedError


@dataclass(frozen=True)
class GradingItem:
    """One piece of work waiting for a person's grade, as the grading queue lists it.

    `submitted_at` is naive UTC, like every time the core stores; `url` opens the page
    where a grader grades it (that page checks access again).
    """

    kind: str
    course_id: int
    title: str
    learner: str
    submitted_at: datetime
    url: str


class GradingKind:
    """A kind of work people grade by hand (quiz essays, role-plays ...), listed in the grading queue.

    Subclasses set `key` (unique, prefixed with the plugin name for plugins) and `title`,
    and implement `pending(course_ids)`: the `GradingItem`s still to grade in those
    courses, found with a fixed number of queries however many items there are.
    """

    key = None
    title = None

    def pending(self, course_ids):
        raise NotImplementedError
