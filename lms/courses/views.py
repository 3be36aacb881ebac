from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from lms.courses import packages, services
from lms.courses.forms import EnrollForm
from lms import markdown
from lms.courses.models import CATEGORY_LABELS, POLICY_LABELS, Activity, Course, Module
from lms.enrollments import services as enrollments
from lms.enrollments.models import TRAINEE
from lms.extensions import db
from lms.i18n import LANGUAGE_NAMES
from lms.progress.models import STATUS_LABELS
from lms.progress.services import course_activities, progress_of
from lms.database import writes

bp = Blueprint("courses", __name__, template_folder="templates", url_prefix="/courses")
bp.add_app_template_filter(markdown.render, "markdown")


@bp.app_context_processor
def course_labels():
    registry = current_app.extensions["lms_plugins"]
    return {
        "category_labels": CATEGORY_LABELS,
        "status_labels": STATUS_LABELS,
        "policy_labels": POLICY_LABELS,
        "activity_type_titles": {key: kind.title for key, kind in registry.activity_types.items()},
    }


def course_or_404(slug):
    """The course if this user may see it; drafts are invisible to all but their staff."""
    course = db.first_or_404(db.select(Course).where(Course.slug == slug))
    if not services.visible(current_user, course):
        abort(404)
    return course


def staff_course_or_abort(slug):
    """The course if the signed-in user is on its staff: 404 for an unknown course, 403 for anyone else."""
    course = db.first_or_404(db.select(Course).where(Course.slug == slug))
    if not services.can_edit(current_user, course):
        abort(403)
    return course


def for_course_staff(blueprint):
    """Every page of `blueprint` sits under /courses/<slug>/ and is for that course's staff.

    The course is loaded and checked once per request into `g.course`, and links between
    the blueprint's pages (pagination included) stay in that course.
    """

    @blueprint.before_request
    @login_required
    def require_course_staff():
        g.course = staff_course_or_abort(request.view_args["slug"])

    @blueprint.url_defaults
    def add_course_slug(endpoint, values):
        if "course" in g:
            values.setdefault("slug", g.course.slug)


def activity_or_404(course, activity_slug):
    return db.first_or_404(
        db.select(Activity).where(Activity.course_id == course.id, Activity.slug == activity_slug, Activity.archived.is_(False))
    )


@bp.route("/")
def catalog():
    language, category = request.args.get("language") or None, request.args.get("category") or None
    courses = services.catalog(request.args.get("q"), language, category)
    instructors = services.instructors_of([course.id for course in courses])
    return render_template(
        "courses/catalog.html", courses=courses, instructors=instructors, categories=services.categories(),
        languages=LANGUAGE_NAMES,
    )


@bp.route("/<slug>")
def course(slug):
    course = course_or_404(slug)
    enrollment = enrollments.enrollment_of(current_user, course)
    active = enrollment if enrollment is not None and enrollment.is_active and enrollment.role == TRAINEE else None
    standing = progress_of([active])[active.id] if active else None
    return render_template(
        "courses/course.html",
        course=course,
        enrollment=enrollment,
        standing=standing,
        modules=db.session.scalars(
            db.select(Module)
            .where(Module.course_id == course.id, Module.archived.is_(False))
            .order_by(Module.position)
            .options(selectinload(Module.activities))
        ).all(),
        instructors=services.instructors_of([course.id])[course.id],
        is_staff=services.can_edit(current_user, course),
        form=EnrollForm(),
    )


@bp.route("/<slug>/enroll", methods=["POST"])
@login_required
def enroll(slug):
    course = course_or_404(slug)
    form = EnrollForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        enrollments.self_enroll(current_user, course, form.key.data)
    except enrollments.EnrollmentError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("courses.course", slug=slug)), 303
    db.session.commit()
    flash(_("You are enrolled in %(title)s.", title=course.display_title), "success")
    return redirect(url_for("courses.course", slug=slug))


@bp.route("/<slug>/withdraw", methods=["POST"])
@login_required
def withdraw(slug):
    course = course_or_404(slug)
    enrollment = enrollments.active_enrollment(current_user, course)
    if enrollment is None or not EnrollForm().validate_on_submit():
        abort(400)
    enrollments.withdraw(enrollment, actor=current_user)
    db.session.commit()
    flash(_("You have left %(title)s. Your progress is kept if you enroll again.", title=course.display_title), "success")
    return redirect(url_for("courses.course", slug=slug))


def learner_context(slug, activity_slug):
    """The course, activity and the learner's enrollment and standing; staff may preview without one."""
    course = course_or_404(slug)
    activity = activity_or_404(course, activity_slug)
    enrollment = enrollments.active_enrollment(current_user, course)
    if enrollment is not None and enrollment.role != TRAINEE:
        enrollment = None  # instructors preview their course: only learners are locked out or recorded
    if enrollment is None and not services.can_edit(current_user, course):
        flash(_("Enroll in the course to open its activities."), "info")
        abort(redirect(url_for("courses.course", slug=slug)))
    standing = progress_of([enrollment])[enrollment.id] if enrollment else None
    return course, activity, enrollment, standing


@bp.route("/<slug>/a/<activity_slug>")
@writes
@login_required
def activity(slug, activity_slug):
    course, activity, enrollment, standing = learner_context(slug, activity_slug)
    activity_type = current_app.extensions["lms_plugins"].activity_types[activity.type_key]()
    state = standing.state_of(activity) if standing else None
    if state is not None and state.locked:
        return render_template("courses/locked.html", course=course, activity=activity, state=state), 403
    if enrollment is not None:
        activity_type.open(activity, enrollment)
        db.session.commit()
        standing = progress_of([enrollment])[enrollment.id]
    order = course_activities([course.id])
    index = next(i for i, a in enumerate(order) if a.id == activity.id)
    return render_template(
        "courses/activity.html",
        course=course,
        activity=activity,
        body=Markup(activity_type.render(activity, enrollment)),  # the type's own template escaped it
        standing=standing,
        state=standing.state_of(activity) if standing else None,
        previous=order[index - 1] if index > 0 else None,
        next=order[index + 1] if index + 1 < len(order) else None,
        form=EnrollForm(),
    )


@bp.route("/<slug>/a/<activity_slug>/submit", methods=["POST"])
@login_required
def submit(slug, activity_slug):
    course, activity, enrollment, standing = learner_context(slug, activity_slug)
    if enrollment is None or not EnrollForm().validate_on_submit():
        abort(400)
    if standing.state_of(activity).locked:
        abort(403)
    activity_type = current_app.extensions["lms_plugins"].activity_types[activity.type_key]()
    activity_type.handle_submission(activity, enrollment, request.form)
    db.session.commit()
    standing = progress_of([enrollment])[enrollment.id]
    next_state = standing.next_state
    if next_state is None:
        flash(_("You have finished every activity of this course."), "success")
        return redirect(url_for("courses.course", slug=slug))
    return redirect(url_for("courses.activity", slug=slug, activity_slug=next_state.activity.slug))


@bp.route("/<slug>/files/<path:path>")
@login_required
def course_file(slug, path):
    course = course_or_404(slug)
    if enrollments.active_enrollment(current_user, course) is None and not services.can_edit(current_user, course):
        abort(403)
    file = packages.course_file(course.slug, path)
    if file is None:
        abort(404)
    response = send_file(file, max_age=3600)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
