"""The course's people, for its staff: the list, adding people one by one or from a CSV, groups."""
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from lms.enrollments import services
from lms.enrollments.forms import (
    COURSE_ROLE_LABELS,
    NO_GROUP,
    STATUS_LABELS,
    ActionForm,
    AddPersonForm,
    ChangeGroupForm,
    ConfirmEnrollmentsForm,
    GroupForm,
    PeopleFilterForm,
    UploadEnrollmentsForm,
)
from lms.enrollments.models import Enrollment
from lms.extensions import db
from lms.courses.views import for_course_staff

bp = Blueprint("enrollments", __name__, template_folder="templates", url_prefix="/courses/<slug>/people")
LIST_ARGS = ("group", "status", "page")


for_course_staff(bp)


def chosen_group(groups, value):
    return next((group for group in groups if str(group.id) == value), None)


def list_args():
    """The list's filters and page, so that an action brings the user back to the same view."""
    return {name: request.args[name] for name in LIST_ARGS if request.args.get(name)}


def back_to_list():
    return redirect(url_for(".people", **list_args()))


def render_people(groups, add_form=None, group_form=None, status=200):
    filters = PeopleFilterForm(groups, request.args)
    if not filters.validate():
        status = 400
    value = filters.group.data if not filters.group.errors else None
    group = services.NO_GROUP if value == NO_GROUP else chosen_group(groups, value)
    query = services.people(g.course, group, filters.status.data if not filters.status.errors else None)
    page = db.paginate(query, per_page=current_app.config["LMS_PAGE_SIZE"], error_out=False)
    return render_template(
        "enrollments/people.html",
        course=g.course,
        page=page,
        groups=groups,
        filters=filters,
        add_form=add_form or AddPersonForm(groups, formdata=None),
        group_form=group_form or GroupForm(formdata=None),
        action_form=ActionForm(),
        role_labels=COURSE_ROLE_LABELS,
        enrollment_status_labels=STATUS_LABELS,
        list_args=list_args(),
    ), status


@bp.route("")
def people(slug):
    return render_people(services.groups_of(g.course))


@bp.route("/add", methods=["POST"])
def add(slug):
    groups = services.groups_of(g.course)
    form = AddPersonForm(groups)
    if form.validate_on_submit():
        try:
            enrollment = services.add_person(
                g.course, form.email.data, form.role.data, chosen_group(groups, form.group.data), actor=current_user
            )
        except services.EnrollmentError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _("%(name)s is enrolled as %(role)s.", name=enrollment.user.name, role=COURSE_ROLE_LABELS[enrollment.role]),
                "success",
            )
            return back_to_list()
    return render_people(groups, add_form=form, status=400)


@bp.route("/groups", methods=["POST"])
def create_group(slug):
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = services.create_group(g.course, form.name.data, actor=current_user)
        except services.EnrollmentError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The group %(name)s has been created.", name=group.name), "success")
            return back_to_list()
    return render_people(services.groups_of(g.course), group_form=form, status=400)


def enrollment_or_404(enrollment_id):
    """An enrollment of the course being managed; one of another course is not found here."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.course_id != g.course.id:
        abort(404)
    return enrollment


@bp.route("/<int:enrollment_id>/group", methods=["POST"])
def change_group(slug, enrollment_id):
    enrollment = enrollment_or_404(enrollment_id)
    groups = services.groups_of(g.course)
    form = ChangeGroupForm(groups)
    if not form.validate_on_submit():
        abort(400)
    group = chosen_group(groups, form.group.data)
    services.set_group(enrollment, group, actor=current_user)
    db.session.commit()
    if group is None:
        flash(_("%(name)s is in no group now.", name=enrollment.user.name), "success")
    else:
        flash(_("%(name)s is in the group %(group)s now.", name=enrollment.user.name, group=group.name), "success")
    return back_to_list()


@bp.route("/<int:enrollment_id>/withdraw", methods=["POST"])
def withdraw(slug, enrollment_id):
    enrollment = enrollment_or_404(enrollment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.withdraw(enrollment, actor=current_user)
    db.session.commit()
    flash(_("%(name)s has been withdrawn; their progress is kept.", name=enrollment.user.name), "success")
    return back_to_list()


@bp.route("/<int:enrollment_id>/reenroll", methods=["POST"])
def reenroll(slug, enrollment_id):
    enrollment = enrollment_or_404(enrollment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.add_person(g.course, enrollment.user.email, enrollment.role, actor=current_user)
    except services.EnrollmentError as error:
        flash(str(error), "error")
        return back_to_list()
    db.session.commit()
    flash(_("%(name)s is enrolled again, with their earlier progress.", name=enrollment.user.name), "success")
    return back_to_list()


@bp.route("/import", methods=["GET", "POST"])
def import_csv(slug):
    form = UploadEnrollmentsForm()
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text. Save it from your spreadsheet as CSV UTF-8."), "error")
            return render_template("enrollments/import.html", course=g.course, form=form), 400
        rows, problems = services.preview_enrollment_csv(g.course, text)
        return render_preview(rows, problems, ConfirmEnrollmentsForm(csv_text=text))
    return render_template("enrollments/import.html", course=g.course, form=form), 400 if form.errors else 200


def render_preview(rows, problems, form, status=200):
    """Every row with its problems, before anything is saved."""
    problems_by_line = {}
    for line, message in problems:
        problems_by_line.setdefault(line, []).append(message)
    return render_template(
        "enrollments/import_preview.html",
        course=g.course,
        rows=rows,
        problems=problems,
        problems_by_line=problems_by_line,
        existing_groups={group.name for group in services.groups_of(g.course)},
        role_labels=COURSE_ROLE_LABELS,
        form=form,
    ), status


@bp.route("/import/confirm", methods=["POST"])
def confirm_import(slug):
    form = ConfirmEnrollmentsForm()
    if not form.validate_on_submit():
        abort(400)
    rows, problems = services.preview_enrollment_csv(g.course, form.csv_text.data)
    if problems:
        flash(_("Nobody was enrolled: fix the problems in the file first."), "error")
        return render_preview(rows, problems, form, status=400)
    enrolled = services.enroll_from_csv(g.course, rows, actor=current_user)
    db.session.commit()
    flash(ngettext("%(num)d person has been enrolled.", "%(num)d people have been enrolled.", len(enrolled)), "success")
    return redirect(url_for(".people"))
