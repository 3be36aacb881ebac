"""Reports on progress: the instructor's course report (page and CSV) and the administrators' overview."""
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.auth.decorators import role_required
from lms.auth.models import ADMIN, utcnow
from lms.courses.models import Course
from lms.enrollments.services import enrollment_of, groups_of
from lms.courses.views import staff_course_or_abort
from lms.extensions import db
from lms.progress import services
from lms.progress.forms import ReportFilterForm

bp = Blueprint("progress", __name__, template_folder="templates")
REPORT_ENDPOINTS = ("progress.report", "progress.report_csv")
ACTIVE_DAYS = 30


@bp.url_defaults
def add_course_slug(endpoint, values):
    """Report links (pagination, sorting, CSV) stay in the course being reported on."""
    if endpoint in REPORT_ENDPOINTS and "course" in g:
        values.setdefault("slug", g.course.slug)


def report_filters(course):
    """The filter form, the report query it asks for, and whether the filters were valid (a bad one is ignored)."""
    groups = groups_of(course)
    mine = enrollment_of(current_user, course)
    form = ReportFilterForm(groups, mine.group if mine else None, request.args)
    valid = form.validate()
    group = next((group for group in groups if str(group.id) == form.group.data), None)
    sort = form.sort.data if not form.sort.errors else "name"
    descending = form.order.data == "desc" and not form.order.errors
    query = services.report_query(course, group, sort, descending)
    return form, query, valid


@bp.route("/courses/<slug>/report")
@login_required
def report(slug):
    g.course = course = staff_course_or_abort(slug)
    form, query, valid = report_filters(course)
    page = db.paginate(query, per_page=current_app.config["LMS_PAGE_SIZE"], error_out=False)
    filters = {name: value for name, value in request.args.items() if name in form.data and value}
    return render_template(
        "progress/report.html",
        course=course,
        form=form,
        page=page,
        activities=services.course_activities([course.id]),
        standings=services.progress_of(page.items),
        filters=filters,
        score_text=services.score_text,
    ), 200 if valid else 400


@bp.route("/courses/<slug>/report.csv")
@login_required
def report_csv(slug):
    g.course = course = staff_course_or_abort(slug)
    form, query, valid = report_filters(course)
    if not valid:
        abort(400)
    enrollments = db.session.scalars(query).all()
    table = services.report_table(services.course_activities([course.id]), enrollments, services.progress_of(enrollments))
    # The byte order mark lets spreadsheet programs read Cyrillic and Kazakh names correctly.
    response = Response("\ufeff" + services.csv_text(table), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{course.slug}-report.csv"'
    return response


@bp.route("/reports/courses")
@role_required(ADMIN)
def courses_overview():
    page = db.paginate(select(Course).order_by(Course.slug), per_page=current_app.config["LMS_PAGE_SIZE"], error_out=False)
    course_ids = [course.id for course in page.items]
    figures = services.course_figures(course_ids, utcnow() - timedelta(days=ACTIVE_DAYS)) if course_ids else {}
    return render_template("progress/overview.html", page=page, figures=figures, days=ACTIVE_DAYS)
