"""The course's question bank, for its staff: categories, questions of every type, preview,
and GIFT/Aiken/JSON files. A category or question id must belong to the course in the URL."""
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from lms.extensions import db
from lms.questions import services
from lms.questions.forms import (
    QUESTION_FORMS,
    TOP,
    TYPE_LABELS,
    ActionForm,
    CategoryForm,
    ImportForm,
    MoveQuestionsForm,
)
from lms.quizzes import gift
from lms.quizzes import services as quizzes
from lms.quizzes.models import Question, QuestionCategory
from lms.quizzes.views import Slot, numbered
from lms.courses.views import for_course_staff

bp = Blueprint("questions", __name__, template_folder="templates", url_prefix="/courses/<slug>/questions")
NO_CATEGORY = "none"


for_course_staff(bp)


def category_or_404(category_id):
    category = db.session.get(QuestionCategory, category_id)
    if category is None or category.course_id != g.course.id:
        abort(404)
    return category


def question_or_404(question_id):
    question = db.session.get(Question, question_id)
    if question is None or question.course_id != g.course.id:
        abort(404)
    return question


def chosen_category(nodes, value):
    """The category an id names among `nodes` (form choices are checked, so it is there), or None for ""."""
    return next((node.category for node in nodes if str(node.category.id) == str(value)), None)


def back_to(category):
    return redirect(url_for(".bank", category=category.id if category else None))


# --- the bank and its categories ------------------------------------------------------


def render_bank(nodes, category_form=None, status=200):
    counts = services.question_counts(g.course)
    value = request.args.get("category")
    if value == NO_CATEGORY:
        category = None
    elif value:
        category = chosen_category(nodes, value) or abort(404)
    else:
        category = nodes[0].category if nodes else None
    questions = services.questions_of(g.course, category) if category or value == NO_CATEGORY else []
    return render_template(
        "questions/bank.html",
        course=g.course,
        nodes=nodes,
        counts=counts,
        category=category,
        uncategorised=value == NO_CATEGORY,
        questions=questions,
        type_labels=TYPE_LABELS,
        category_form=category_form or CategoryForm(nodes, formdata=None, parent=str(category.id) if category else TOP),
        move_form=MoveQuestionsForm(nodes, formdata=None),
    ), status


@bp.route("")
def bank(slug):
    return render_bank(services.tree(g.course))


@bp.route("/categories", methods=["POST"])
def create_category(slug):
    nodes = services.tree(g.course)
    form = CategoryForm(nodes)
    if form.validate_on_submit():
        try:
            category = services.create_category(g.course, form.name.data, chosen_category(nodes, form.parent.data))
        except services.BankError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The category %(name)s has been created.", name=category.name), "success")
            return back_to(category)
    return render_bank(nodes, category_form=form, status=400)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def edit_category(slug, category_id):
    category = category_or_404(category_id)
    nodes = services.tree(g.course)
    inside = {node.category.id for node in services.subtree(nodes, category)}
    parents = [node for node in nodes if node.category.id not in inside]
    form = CategoryForm(parents, name=category.name, parent=str(category.parent_id or TOP))
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.update_category(g.course, category, form.name.data, chosen_category(parents, form.parent.data))
            except services.BankError as error:
                form[error.field].errors.append(str(error))
            else:
                db.session.commit()
                flash(_("The category %(name)s has been saved.", name=category.name), "success")
                return back_to(category)
        status = 400
    return render_template("questions/category.html", course=g.course, category=category, form=form,
                           delete_form=ActionForm()), status


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
def delete_category(slug, category_id):
    category = category_or_404(category_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name, parent = category.name, category.parent
    try:
        services.delete_category(category)
    except services.BankError as error:
        flash(str(error), "error")
        return redirect(url_for(".edit_category", category_id=category.id))
    db.session.commit()
    flash(_("The category %(name)s has been deleted.", name=name), "success")
    return back_to(parent)


@bp.route("/move", methods=["POST"])
def move(slug):
    nodes = services.tree(g.course)
    form = MoveQuestionsForm(nodes)
    if not form.validate_on_submit():
        abort(400)
    try:
        questions = services.questions_by_id(g.course, form.questions.data)
    except LookupError:
        abort(404)
    target = chosen_category(nodes, form.target.data)
    if not questions:
        flash(_("Select the questions to move first."), "error")
        return redirect(url_for(".bank", category=request.args.get("category")))
    services.move_questions(questions, target)
    db.session.commit()
    flash(ngettext("%(num)d question has been moved to %(category)s.",
                   "%(num)d questions have been moved to %(category)s.", len(questions),
                   category=target.name), "success")
    return back_to(target)


# --- questions -------------------------------------------------------------------------


def question_page(form, question=None, kind=None, status=200):
    return render_template(
        "questions/question_form.html", course=g.course, form=form, question=question,
        kind=question.type if question else kind, type_labels=TYPE_LABELS,
    ), status


def save(form, question, nodes):
    """Check the form with the GIFT reader's rules and save; False (errors on the form) if refused."""
    if not form.validate_on_submit():
        return False
    item, problems = services.checked(form.item())
    if problems:
        form.show_problems(problems)
        return False
    question.category = chosen_category(nodes, form.category.data)
    services.save_question(question, item, actor=current_user)
    db.session.commit()
    return True


def shown(data):
    """The data a question form starts from; a submitted form counts only what was submitted."""
    return None if request.method == "POST" else data


@bp.route("/new", methods=["GET", "POST"])
def new_question(slug):
    kind = request.args.get("type", "")
    if kind not in QUESTION_FORMS:
        abort(404)
    nodes = services.tree(g.course)
    if not nodes:
        flash(_("Create a category first: every question belongs to one."), "error")
        return redirect(url_for(".bank"))
    value = request.args.get("category")
    category = chosen_category(nodes, value) if value else nodes[0].category
    if category is None:
        abort(404)
    form = QUESTION_FORMS[kind](nodes, data=shown(QUESTION_FORMS[kind].blank(category.id)))
    question = Question(course_id=g.course.id, type=kind)
    if save(form, question, nodes):
        flash(_("The question %(name)s has been added.", name=question.name), "success")
        return back_to(question.category)
    return question_page(form, kind=kind, status=400 if request.method == "POST" else 200)


@bp.route("/<int:question_id>", methods=["GET", "POST"])
def edit_question(slug, question_id):
    question = question_or_404(question_id)
    nodes = services.tree(g.course)
    form_class = QUESTION_FORMS[question.type]
    form = form_class(nodes, data=shown(form_class.initial(quizzes.as_dict(question), question.category_id)))
    version = question.version
    if save(form, question, nodes):
        if question.version > version:
            flash(_("The question %(name)s has been saved as version %(version)d.",
                    name=question.name, version=question.version), "success")
        else:
            flash(_("Nothing changed in the question %(name)s.", name=question.name), "success")
        return back_to(question.category)
    return question_page(form, question=question, status=400 if request.method == "POST" else 200)


@bp.route("/<int:question_id>/preview")
def preview(slug, question_id):
    """The question as a trainee answers it (the quiz's own rendering, without any review)."""
    question = question_or_404(question_id)
    order = list(range(len(question.data.get("answers") or question.data.get("pairs") or [])))
    return render_template("questions/preview.html", course=g.course, question=question,
                           slot=numbered([Slot(0, question, order)])[0], type_labels=TYPE_LABELS)


# --- files -------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
def import_file(slug):
    nodes = services.tree(g.course)
    form = ImportForm(nodes, category=request.args.get("category"))
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append(_("The file is not UTF-8 text. Save it as UTF-8 and try again."))
        else:
            file_format = form.file_format.data or services.guess_format(upload.filename)
            category = chosen_category(nodes, form.category.data)
            names = quizzes.category_names(category) if category else [services.file_stem(upload.filename)]
            try:
                added = services.import_file(g.course, text, file_format, names, actor=current_user)
            except gift.QuestionFileError as error:
                problems = error.problems
            else:
                db.session.commit()
                flash(ngettext("%(num)d question has been imported.", "%(num)d questions have been imported.",
                               len(added)), "success")
                return back_to(added[0].category if added else category)
    status = 400 if request.method == "POST" else 200
    return render_template("questions/import.html", course=g.course, form=form, problems=problems), status


@bp.route("/export")
def export(slug):
    file_format = request.args.get("format", "gift")
    if file_format not in services.EXPORT_FORMATS:
        abort(404)
    value = request.args.get("category")
    category = None
    if value:
        category = category_or_404(int(value)) if value.isdigit() else abort(404)
    items = services.export_questions(g.course, category)
    try:
        text = services.export_text(items, file_format)
    except ValueError as error:
        flash(str(error), "error")
        return back_to(category)
    name = f"{g.course.slug}-questions{f'-{category.id}' if category else ''}.{file_format}"
    mimetype = "application/json" if file_format == "json" else "text/plain"
    response = Response(text, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response
