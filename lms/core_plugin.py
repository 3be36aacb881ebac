"""The core's own contributions, made through the same hooks as any plugin."""
import pluggy
from flask_babel import lazy_gettext as _l

from lms.contributions import DashboardPanel, NavItem
from lms.lessons.activity import LESSON_FILES, LessonType
from lms.enrollments.services import my_enrollments
from lms.grading.services import EssayKind, teaches_any
from lms.pages.services import people_by_role
from lms.quizzes.activity import GIFT_FILES, QuizType
from lms.progress.services import progress_of

hookimpl = pluggy.HookimplMarker("lms")


@hookimpl
def lms_navigation_items(user):
    items = [NavItem(_l("Courses"), "courses.catalog", order=10)]
    if not user.is_authenticated:
        return items
    items.insert(0, NavItem(_l("Dashboard"), "pages.dashboard", order=0))
    if teaches_any(user):
        items.append(NavItem(_l("Grading"), "grading.queue", order=50))
    if user.is_admin:
        items.append(NavItem(_l("Administration"), "admin.users", order=900))
    return items


@hookimpl
def lms_dashboard_panels(user):
    enrollments = my_enrollments(user)
    panels = [
        DashboardPanel(
            _l("My courses"), "courses/panel_my_courses.html",
            {"enrollments": enrollments, "standings": progress_of(enrollments)}, order=10,
        ),
        DashboardPanel(_l("Your account"), "pages/panel_account.html", order=900),
    ]
    if user.is_admin:
        panels.append(
            DashboardPanel(_l("People"), "pages/panel_people.html", {"counts": people_by_role()}, order=910)
        )
    return panels


@hookimpl
def lms_activity_types():
    return [LessonType, QuizType]


@hookimpl
def lms_course_file_handlers():
    return [LESSON_FILES, GIFT_FILES]


@hookimpl
def lms_grading_kinds():
    return [EssayKind]
