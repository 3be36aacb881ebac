"""A quiz seen by its course staff: attempts per learner (page and CSV), question statistics, regrading."""
from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from lms.enrollments.services import groups_of
from lms.courses.views import for_course_staff
from lms.extensions import db
from lms.progress.services import csv_text, score_text
from lms.quiz_reports import services
from lms.quiz_reports.forms import AttemptFilterForm

bp = Blueprint("quiz_reports", __name__, template_folder="templates", url_prefix="/courses/<slug>/quizzes")


for_course_staff(bp)


def quiz_or_404(quiz):
    activity = services.quiz_of(g.course, quiz)
    if activity is None:
        abort(404)
    return activity


def filtered_attempts(activity):
    """The group filter and the attempts query it asks for (an unknown group is refused)."""
    groups = groups_of(g.course)
    form = AttemptFilterForm(groups, request.args)
    valid = form.validate()
    group = next((group for group in groups if str(group.id) == form.group.data), None) if valid else None
    return form, services.attempts_query(activity, group), valid


@bp.route("/")
def index(slug):
    return render_template("quiz_reports/index.html", course=g.course, quizzes=services.quizzes_of(g.course))


@bp.route("/<quiz>/attempts")
def attempts(slug, quiz):
    activity = quiz_or_404(quiz)
    form, query, valid = filtered_attempts(activity)
    page = db.paginate(query, per_page=current_app.config["LMS_PAGE_SIZE"], error_out=False)
    filters = {name: value for name, value in request.args.items() if name in form.data and value}
    return render_template(
        "quiz_reports/attempts.html",
        course=g.course,
        quiz=activity,
        form=form,
        page=page,
        filters=filters,
        state_labels=services.STATE_LABELS,
        score_text=score_text,
    ), 200 if valid else 400


@bp.route("/<quiz>/attempts.csv")
def attempts_csv(slug, quiz):
    activity = quiz_or_404(quiz)
    _form, query, valid = filtered_attempts(activity)
    if not valid:
        abort(400)
    table = services.attempts_table(db.session.scalars(query).all())
    # The byte order mark lets spreadsheet programs read Cyrillic and Kazakh names correctly.
    response = Response("\ufeff" + csv_text(table), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{g.course.slug}-{activity.slug}-attempts.csv"'
    return response


@bp.route("/<quiz>/statistics")
def statistics(slug, quiz):
    activity = quiz_or_404(quiz)
    return render_template(
        "quiz_reports/statistics.html",
        course=g.course,
        quiz=activity,
        stats=services.statistics(activity),
    )


@bp.route("/<quiz>/regrade", methods=["POST"])
def regrade(slug, quiz):
    """A POST with the CSRF token that CSRFProtect checks for every form."""
    activity = quiz_or_404(quiz)
    count = services.regrade(activity, current_user._get_current_object())
    db.session.commit()
    flash(ngettext("%(num)d attempt has been regraded.", "%(num)d attempts have been regraded.", count), "success")
    return redirect(url_for(".statistics", quiz=activity.slug))
