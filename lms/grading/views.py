"""The grading queue and the page where an instructor grades an essay."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.enrollments.services import is_course_staff
from lms.extensions import db
from lms.grading import services
from lms.grading.forms import EssayGradeForm, QueueFilterForm
from lms.quizzes.services import QuizError, grade_response

bp = Blueprint("grading", __name__, template_folder="templates", url_prefix="/grading")


@bp.route("/")
@login_required
def queue():
    if not services.teaches_any(current_user):
        abort(403)
    courses = services.taught_courses(current_user)
    kinds = current_app.extensions["lms_plugins"].grading_kinds
    form = QueueFilterForm(courses, kinds.values(), request.args)
    valid = form.validate()
    chosen = form.course.data if not form.course.errors else ""
    course_ids = [course.id for course in courses if not chosen or str(course.id) == chosen]
    kind = form.kind.data if form.kind.data and not form.kind.errors else None
    return render_template(
        "grading/queue.html",
        form=form,
        items=services.pending(kinds, course_ids, kind),
        courses={course.id: course for course in courses},
        kinds=kinds,
    ), 200 if valid else 400


@bp.route("/essays/<int:response_id>", methods=["GET", "POST"])
@login_required
def essay(response_id):
    response = services.essay_response(response_id)
    if response is None:
        abort(404)
    attempt = response.attempt
    if not is_course_staff(current_user, attempt.activity.course):
        abort(403)
    form = EssayGradeForm(data={"mark": response.mark, "comment": response.comment})
    if form.validate_on_submit():
        try:
            grade_response(response, form.mark.data, form.comment.data or "", current_user._get_current_object())
        except QuizError as error:
            form.mark.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The grade for %(learner)s has been saved.", learner=attempt.enrollment.user.name), "success")
            return redirect(url_for(".queue"))
    return render_template(
        "grading/essay.html",
        form=form,
        response=response,
        attempt=attempt,
        question_html=services.question_html(response.question),
        answer=services.answer_text(response),
    ), 400 if form.errors else 200
