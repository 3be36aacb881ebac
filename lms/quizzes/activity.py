"""The quiz activity: questions from the course's bank, attempts graded by the server."""
from flask import render_template
from flask_babel import get_locale, lazy_gettext as _l

from lms.contributions import ActivityType, CourseFileHandler
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import IN_PROGRESS
from lms.quizzes import gift, services
from lms.quizzes.models import Question


RETIRED = "Retired questions"  # where questions dropped from a package file go, outside every pool


class QuizType(ActivityType):
    key = "quiz"
    title = _l("Quiz")

    def check_settings(self, settings):
        return services.check_settings(settings)

    def open(self, activity, enrollment):
        progress.record(enrollment, activity, IN_PROGRESS)

    def render(self, activity, enrollment):
        settings = services.settings_of(activity)
        attempts = services.attempts_of(enrollment, activity) if enrollment else []
        return render_template(
            "quizzes/quiz.html",
            activity=activity,
            settings=settings,
            attempts=attempts,
            questions=len(services.quiz_questions(activity, str(get_locale()))),
            grade=services.quiz_grade(attempts, settings["grading_method"]),
        )

    def handle_submission(self, activity, enrollment, data):
        """Quizzes are answered through their attempts (lms.quizzes.views), not this form."""

    def progress(self, activity, enrollment):
        return progress.progress_row(enrollment, activity)

    def max_score(self, activity):
        return 100

    def imported(self, activity):
        """Put the package's GIFT files into the bank: one category per quiz and language.

        Questions keep their ids across versions when their names stay the same, so
        attempts and statistics survive a corrected question file.
        """
        pool = {}
        for language, text in activity.content.items():
            names = [activity.slug] if language == "*" else [activity.slug, language]
            category = services.category_for(activity.course, names)
            existing = {question.name: question for question in db.session.scalars(
                db.select(Question).where(Question.category_id == category.id)
            )}
            retired = services.category_for(activity.course, [RETIRED, *names])
            seen = set()
            for item in gift.parse(text):
                question = existing.get(item["name"])
                if question is None:
                    question = Question(course_id=activity.course_id, category=category, version=1)
                    db.session.add(question)
                services.set_fields(question, item)
                question.category = category
                seen.add(item["name"])
            for name, question in existing.items():
                if name not in seen:
                    question.category = retired
            pool[language] = names
        activity.settings = {**activity.settings, "pool": pool}


def validate_gift(path, root):
    try:
        gift.parse(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return [(1, "the file is not UTF-8 text")]
    except gift.QuestionFileError as error:
        return [(problem.line, f"question {problem.question!r}: {problem.message}") for problem in error.problems]
    return []


def read_gift(path, root):
    return path.read_text(encoding="utf-8")


GIFT_FILES = CourseFileHandler("*.gift", validate=validate_gift, load=read_gift)
