"""Course authoring pages. Only a course's staff (administrators and its active
instructors) reach the pages of a course; a module or activity id must belong to it."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms import markdown
from lms.auth.decorators import role_required
from lms.auth.models import INSTRUCTOR
from lms.authoring import services
from lms.authoring.forms import CourseForm, LessonForm, ModuleForm, filled
from lms.courses import services as courses
from lms.courses.models import Activity, Course, Module
from lms.extensions import db
from lms.i18n import LANGUAGE_NAMES
from lms.lessons.activity import LessonType

bp = Blueprint("authoring", __name__, template_folder="templates", url_prefix="/authoring")


@bp.before_request
@login_required
def require_sign_in():
    """Every authoring page needs a signed-in user; each route then checks the course."""


def course_or_403(slug):
    course = db.first_or_404(select(Course).where(Course.slug == slug))
    if not courses.can_edit(current_user, course):
        abort(403)
    return course


def module_or_404(course, module_id):
    """A live module of this course; an id from another course is not found."""
    module = db.session.get(Module, module_id)
    if module is None or module.course_id != course.id or module.archived:
        abort(404)
    return module


def activity_or_404(course, activity_id, type_key=None):
    """A live activity of this course (of `type_key` if given); an id from another course is not found."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.course_id != course.id or activity.archived:
        abort(404)
    if type_key is not None and activity.type_key != type_key:
        abort(404)
    return activity


def refused(form, error):
    """Undo the refused change and say why, beside its field when there is one."""
    db.session.rollback()
    if error.field and error.field in form:
        form[error.field].errors.append(str(error))
    else:
        flash(str(error), "error")


def loaded(values):
    """What an edit form starts from: the stored values on GET; on POST only what was sent,
    so that a field missing from the request is a problem rather than a silent keep."""
    return values if request.method == "GET" else None


def form_status():
    """A form shown again after a POST came back with problems: 400."""
    return 400 if request.method == "POST" else 200


# --- courses --------------------------------------------------------------------------


@bp.route("/")
@role_required(INSTRUCTOR)
def index():
    return render_template("authoring/index.html", courses=services.editable_courses(current_user))


@bp.route("/new", methods=["GET", "POST"])
@role_required(INSTRUCTOR)
def new_course():
    form = CourseForm()
    if form.validate_on_submit():
        try:
            course = services.create_course(current_user, form.slug.data, **form.settings())
        except services.AuthoringError as error:
            refused(form, error)
        else:
            db.session.commit()
            flash(_("The course has been created. Now add its modules and lessons."), "success")
            return redirect(url_for("authoring.course", slug=course.slug))
    return render_template("authoring/course_form.html", form=form, course=None), form_status()


@bp.route("/courses/<slug>")
def course(slug):
    course = course_or_403(slug)
    return render_course(course, ModuleForm())


def render_course(course, module_form, status=200):
    return render_template(
        "authoring/course.html", course=course, outline=services.outline(course), module_form=module_form,
    ), status


@bp.route("/courses/<slug>/settings", methods=["GET", "POST"])
def settings(slug):
    course = course_or_403(slug)
    form = CourseForm(obj=loaded(course), editing=True)
    if form.validate_on_submit():
        services.update_course(course, current_user, **form.settings())
        db.session.commit()
        flash(_("The course settings have been saved."), "success")
        return redirect(url_for("authoring.course", slug=slug))
    return render_template("authoring/course_form.html", form=form, course=course), form_status()


@bp.route("/courses/<slug>/<any(publish, unpublish):action>", methods=["POST"])
def publish(slug, action):
    course = course_or_403(slug)
    if services.set_published(course, action == "publish", current_user):
        db.session.commit()
        if course.published:
            flash(_("The course is published: it is in the catalog and open to learners."), "success")
        else:
            flash(_("The course is unpublished: only its staff can see it."), "success")
    return redirect(url_for("authoring.course", slug=slug))


# --- modules --------------------------------------------------------------------------


@bp.route("/courses/<slug>/modules", methods=["POST"])
def add_module(slug):
    course = course_or_403(slug)
    form = ModuleForm()
    if not form.validate_on_submit():
        return render_course(course, form, 400)
    module = services.add_module(course, filled(form.title.data), current_user)
    db.session.commit()
    flash(_("The module has been added."), "success")
    return redirect(url_for("authoring.course", slug=slug, _anchor=f"module-{module.id}"))


@bp.route("/courses/<slug>/modules/<int:module_id>", methods=["GET", "POST"])
def edit_module(slug, module_id):
    course = course_or_403(slug)
    module = module_or_404(course, module_id)
    form = ModuleForm(obj=loaded(module))
    if form.validate_on_submit():
        services.rename_module(module, filled(form.title.data), current_user)
        db.session.commit()
        flash(_("The module has been saved."), "success")
        return redirect(url_for("authoring.course", slug=slug, _anchor=f"module-{module.id}"))
    return render_template("authoring/module_form.html", form=form, course=course, module=module), form_status()


@bp.route("/courses/<slug>/modules/<int:module_id>/move/<any(up, down):direction>", methods=["POST"])
def move_module(slug, module_id, direction):
    course = course_or_403(slug)
    module = module_or_404(course, module_id)
    services.move_module(module, direction, current_user)
    db.session.commit()
    return redirect(url_for("authoring.course", slug=slug, _anchor=f"module-{module.id}"))


@bp.route("/courses/<slug>/modules/<int:module_id>/remove", methods=["POST"])
def remove_module(slug, module_id):
    course = course_or_403(slug)
    module = module_or_404(course, module_id)
    services.archive_module(module, current_user)
    db.session.commit()
    flash(_("The module %(title)s has been removed. Learners' progress is kept.", title=module.display_title), "success")
    return redirect(url_for("authoring.course", slug=slug))


# --- lessons and other activities -----------------------------------------------------


def lesson_form(course, activity=None, **kwargs):
    return LessonForm(
        modules=services.live_modules(course), prerequisites=services.prerequisite_choices(course, activity),
        creating=activity is None, **kwargs,
    )


def lesson_fields(form):
    return {
        "title": filled(form.title.data),
        "content": form.content(),
        "required": form.required.data,
        "weight": form.weight.data,
        "completion": form.completion.data,
        "prerequisites": form.prerequisites.data,
    }


def previews(course, activity, form):
    """The typed Markdown of each language as learners will see it, sanitised."""
    folder = (activity.source_file or "").rpartition("/")[0] if activity else ""

    def file_url(path):
        return url_for("courses.course_file", slug=course.slug, path=f"{folder}/{path}" if folder else path)

    return [
        (LANGUAGE_NAMES.get(code, _("Every language")), markdown.render(text, file_url))
        for code, text in form.content().items()
    ]


def previewing():
    return request.method == "POST" and "preview" in request.form


@bp.route("/courses/<slug>/modules/<int:module_id>/lessons/new", methods=["GET", "POST"])
def new_lesson(slug, module_id):
    course = course_or_403(slug)
    module = module_or_404(course, module_id)
    form = lesson_form(course, data={"module": module.id})
    if previewing():
        form.validate()
        return render_lesson(course, None, form, previews=previews(course, None, form))
    if form.validate_on_submit():
        try:
            activity = services.create_lesson(
                course, module_or_404(course, form.module.data), current_user, form.slug.data or None,
                **lesson_fields(form),
            )
        except services.AuthoringError as error:
            refused(form, error)
        else:
            db.session.commit()
            flash(_("The lesson has been added."), "success")
            return redirect(url_for("authoring.edit_lesson", slug=slug, activity_id=activity.id))
    return render_lesson(course, None, form, status=form_status())


@bp.route("/courses/<slug>/activities/<int:activity_id>", methods=["GET", "POST"])
def edit_lesson(slug, activity_id):
    course = course_or_403(slug)
    activity = activity_or_404(course, activity_id, services.LESSON)
    form = lesson_form(course, activity, data=loaded({
        "title": activity.title,
        "body": {code: activity.content.get(code, "") for code in LANGUAGE_NAMES},
        "shared_body": activity.content.get("*", ""),
        "module": activity.module_id,
        "required": activity.required,
        "weight": activity.weight,
        "completion": LessonType.completion(activity),
        "prerequisites": activity.prerequisites,
        "revision": activity.revision,
    }))
    if previewing():
        form.validate()
        return render_lesson(course, activity, form, previews=previews(course, activity, form))
    if form.validate_on_submit():
        try:
            services.save_lesson(
                activity, form.revision.data, current_user, module_or_404(course, form.module.data),
                **lesson_fields(form),
            )
        except services.StaleRevision as error:
            db.session.rollback()
            return render_lesson(course, activity, form, status=409, conflict=error)
        except services.AuthoringError as error:
            refused(form, error)
        else:
            db.session.commit()
            flash(_("The lesson has been saved (revision %(revision)d).", revision=activity.revision), "success")
            return redirect(url_for("authoring.edit_lesson", slug=slug, activity_id=activity.id))
    return render_lesson(course, activity, form, status=form_status())


def render_lesson(course, activity, form, status=200, **context):
    return render_template(
        "authoring/lesson_form.html", course=course, activity=activity, form=form,
        revisions=services.revisions_of(activity) if activity else [], **context,
    ), status


@bp.route("/courses/<slug>/activities/<int:activity_id>/move/<any(up, down):direction>", methods=["POST"])
def move_activity(slug, activity_id, direction):
    course = course_or_403(slug)
    activity = activity_or_404(course, activity_id)
    services.move_activity(activity, direction, current_user)
    db.session.commit()
    return redirect(url_for("authoring.course", slug=slug, _anchor=f"activity-{activity.id}"))


@bp.route("/courses/<slug>/activities/<int:activity_id>/remove", methods=["POST"])
def remove_activity(slug, activity_id):
    course = course_or_403(slug)
    activity = activity_or_404(course, activity_id)
    services.archive_activity(activity, current_user)
    db.session.commit()
    flash(_("%(title)s has been removed. Learners' progress is kept.", title=activity.display_title), "success")
    return redirect(url_for("authoring.course", slug=slug, _anchor=f"module-{activity.module_id}"))
