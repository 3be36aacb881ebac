"""The lesson: Markdown text per language, done when viewed or when the learner marks it."""
import re

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l

from lms.contributions import ActivityType, CourseFileHandler
from lms.courses.models import localized
from lms.markdown import is_package_path, render
from lms.progress import services as progress
from lms.progress.models import COMPLETED, IN_PROGRESS

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)")
VIEW, MARK = "view", "mark"


class LessonType(ActivityType):
    key = "lesson"
    title = _l("Lesson")

    @staticmethod
    def completion(activity):
        return activity.settings.get("completion", VIEW)

    def check_settings(self, settings):
        unknown = sorted(set(settings) - {"completion"})
        problems = [(key, f"lessons have no setting {key!r}") for key in unknown]
        if settings.get("completion", VIEW) not in (VIEW, MARK):
            problems.append(("completion", 'completion must be "view" or "mark"'))
        return problems

    def open(self, activity, enrollment):
        status = COMPLETED if self.completion(activity) == VIEW else IN_PROGRESS
        progress.record(enrollment, activity, status)

    def render(self, activity, enrollment):
        text = localized(activity.content) or activity.content.get("*", "")
        folder = (activity.source_file or "").rpartition("/")[0]

        def file_url(path):
            relative = f"{folder}/{path}" if folder else path
            return url_for("courses.course_file", slug=activity.course.slug, path=relative)

        return render_template(
            "lessons/lesson.html", activity=activity, body=render(text, file_url), completion=self.completion(activity)
        )

    def handle_submission(self, activity, enrollment, data):
        """"Mark as done"."""
        progress.record(enrollment, activity, COMPLETED)

    def progress(self, activity, enrollment):
        return progress.progress_row(enrollment, activity)

    def max_score(self, activity):
        return None


def validate_lesson(path, root):
    """Problems in a lesson file: not UTF-8, or a relative link or image that is not in the package."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        return [(line, "the file is not UTF-8 text")]
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        for target in LINK.findall(line):
            target = target.split("#", 1)[0]
            if target and is_package_path(target):
                resolved = (path.parent / target).resolve()
                if not resolved.is_relative_to(root.resolve()) or not resolved.is_file():
                    problems.append((number, f"{target} is not in the package"))
    return problems


def read_lesson(path, root):
    return path.read_text(encoding="utf-8")


LESSON_FILES = CourseFileHandler("*.md", validate=validate_lesson, load=read_lesson)
