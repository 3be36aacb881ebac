"""The question bank as course staff manage it: categories as a tree, questions held to the
rules of the GIFT reader, and files in and out (GIFT, Aiken, JSON).

Questions keep the shape of lms.quizzes.gift's dicts; storing them and turning them back
into dicts is lms.quizzes.services' job (set_fields, as_dict, import_questions).
"""
import json
from collections import Counter, namedtuple
from pathlib import PurePath

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.audit.services import record as audit
from lms.extensions import db
from lms.quizzes import aiken, gift
from lms.quizzes import services as quizzes
from lms.quizzes.models import Question, QuestionCategory

FILE_FORMATS = ("gift", "aiken")
EXPORT_FORMATS = ("gift", "json")
FILE_SUFFIXES = (".txt", ".gift", ".aiken")
CATEGORY_NAME_LENGTH = 200  # the columns' sizes
QUESTION_NAME_LENGTH = 255


class BankError(ValueError):
    """A change the bank refuses; `field` names the form field it concerns."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class Node(namedtuple("Node", "category depth path")):
    """A category with its depth in the tree and the names from the top down to it."""

    @property
    def label(self):
        return " / ".join(self.path)


# --- categories ---------------------------------------------------------------------


def tree(course):
    """The course's categories, parents before their children and siblings by name, in one query.

    Loading them all also lets as_dict find every category's parents without more queries.
    """
    categories = db.session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course.id)).all()
    children = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    nodes = []

    def walk(parent_id, depth, path):
        for category in sorted(children.get(parent_id, []), key=lambda item: (item.name.casefold(), item.id)):
            nodes.append(Node(category, depth, (*path, category.name)))
            walk(category.id, depth + 1, (*path, category.name))

    walk(None, 0, ())
    return nodes


def subtree(nodes, category):
    """The nodes of `category` and everything below it (nodes in tree order)."""
    found = []
    for node in nodes:
        if found and node.depth <= found[0].depth:
            break
        if found or node.category.id == category.id:
            found.append(node)
    return found


def question_counts(course):
    """{category id (None for none): number of questions}, in one query."""
    rows = db.session.execute(
        select(Question.category_id, func.count(Question.id))
        .where(Question.course_id == course.id)
        .group_by(Question.category_id)
    ).all()
    return dict(rows)


def category_name(name):
    name = " ".join((name or "").split())
    if not name:
        raise BankError(_("Give the category a name."), "name")
    if len(name) > CATEGORY_NAME_LENGTH:
        raise BankError(_("A category name has at most %(count)d characters.", count=CATEGORY_NAME_LENGTH), "name")
    return name


def check_sibling_name(course, name, parent, category=None):
    """Names are unique among siblings, also at the top where the database cannot check (NULL parent)."""
    query = select(QuestionCategory.id).where(
        QuestionCategory.course_id == course.id,
        QuestionCategory.name == name,
        QuestionCategory.parent_id.is_(None) if parent is None else QuestionCategory.parent_id == parent.id,
    )
    if category is not None:
        query = query.where(QuestionCategory.id != category.id)
    if db.session.scalar(query) is not None:
        raise BankError(_("There is already a category “%(name)s” there.", name=name), "name")


def create_category(course, name, parent):
    name = category_name(name)
    check_sibling_name(course, name, parent)
    category = QuestionCategory(course_id=course.id, name=name, parent=parent)
    db.session.add(category)
    db.session.flush()
    return category


def update_category(course, category, name, parent):
    """Rename the category and move it under `parent` (None: the top)."""
    name = category_name(name)
    if parent is not None and any(node.category.id == parent.id for node in subtree(tree(course), category)):
        raise BankError(_("A category cannot go inside itself or one of its subcategories."), "parent")
    check_sibling_name(course, name, parent, category)
    category.name, category.parent = name, parent
    db.session.flush()


def delete_category(category):
    """Delete an empty category; one with questions or subcategories stays."""
    has_questions = db.session.scalar(select(Question.id).where(Question.category_id == category.id).limit(1))
    has_children = db.session.scalar(select(QuestionCategory.id).where(QuestionCategory.parent_id == category.id).limit(1))
    if has_questions is not None or has_children is not None:
        raise BankError(_("Only an empty category can be deleted: move its questions and subcategories first."))
    db.session.delete(category)
    db.session.flush()


# --- questions ----------------------------------------------------------------------


def questions_of(course, category):
    """The questions directly in `category` (None: those without one), oldest first."""
    query = select(Question).where(Question.course_id == course.id).order_by(Question.id)
    if category is None:
        return db.session.scalars(query.where(Question.category_id.is_(None))).all()
    return db.session.scalars(query.where(Question.category_id == category.id)).all()


def questions_by_id(course, ids):
    """The course's questions with these ids; LookupError if any is not one of them."""
    ids = set(ids)
    questions = db.session.scalars(select(Question).where(Question.course_id == course.id, Question.id.in_(ids))).all()
    if len(questions) != len(ids):
        raise LookupError(ids - {question.id for question in questions})
    return questions


def move_questions(questions, category):
    for question in questions:
        question.category = category
    db.session.flush()


def checked(item):
    """(the question as the GIFT reader reads it back, []) or (None, problems).

    Writing the question as GIFT and reading it again applies exactly the rules and
    messages of a file import, and what is saved is what an export and re-import give.
    In the GIFT text the question's own line is line 1 and its n-th answer line n + 1.
    """
    if item["type"] == "multichoice" and item["single"] and not any(answer["fraction"] == 1 for answer in item["answers"]):
        # GIFT marks the one right answer with "="; without it the reader sees several answers.
        return None, [gift.Problem(1, item["name"], _("One answer must be worth %(full)s when only one answer is allowed.", full="100%"))]
    try:
        (question,) = gift.parse(gift.dump([item]))
    except gift.GiftError as error:
        return None, error.problems
    except ValueError as error:  # GIFT cannot write it, e.g. "->" in a short answer
        return None, [gift.Problem(1, item["name"], str(error))]
    question.pop("line")
    return question, []


def save_question(question, item, actor=None):
    """Store a checked question; a change to an existing one raises its version (set_fields)."""
    new = question.id is None
    quizzes.set_fields(question, item)
    db.session.add(question)
    db.session.flush()
    audit("question.created" if new else "question.updated", target=f"question:{question.id}", actor=actor,
          version=question.version)
    return question


# --- files --------------------------------------------------------------------------


def guess_format(filename):
    """"aiken" for names like x.aiken or x.aiken.txt, otherwise GIFT (Moodle's own export is .txt)."""
    return "aiken" if ".aiken" in (suffix.lower() for suffix in PurePath(filename).suffixes) else "gift"


def file_stem(filename):
    """The file name without .gift/.aiken/.txt endings: the category for questions that name none."""
    name = PurePath(filename).name
    while PurePath(name).suffix.lower() in FILE_SUFFIXES and PurePath(name).stem:
        name = PurePath(name).stem
    return name


def import_file(course, text, file_format, category_names, actor=None):
    """Add a file's questions to the bank; raises gift.QuestionFileError (adding nothing) on any problem.

    Questions the file puts in no category ($CATEGORY:) go to `category_names`.
    """
    reader = aiken if file_format == "aiken" else gift
    questions = reader.parse(text)
    problems = too_long(questions)
    if problems:
        raise gift.QuestionFileError(problems)
    added = quizzes.import_questions(course, questions, category_names)
    audit("questions.imported", target=f"course:{course.slug}", actor=actor, count=len(added), format=file_format)
    return added


def too_long(questions):
    """Names the database cannot hold, found before anything is stored so that the file is refused whole."""
    problems = []
    for item in questions:
        if len(item["name"]) > QUESTION_NAME_LENGTH:
            problems.append(gift.Problem(item["line"], gift.label(item["name"]), _(
                "The question name is longer than %(count)d characters.", count=QUESTION_NAME_LENGTH)))
        names = gift.category_path(item["category"]) if item.get("category") else []
        if any(len(name) > CATEGORY_NAME_LENGTH for name in names):
            problems.append(gift.Problem(item["line"], item["name"], _(
                "A category name is longer than %(count)d characters.", count=CATEGORY_NAME_LENGTH)))
    return problems


def by_category(questions):
    """{"Module 1 / Part 2": number of questions} in the order first met."""
    return Counter(" / ".join(quizzes.category_names(question.category)) for question in questions)


def export_questions(course, category=None):
    """The questions of `category` and its subcategories (all of the bank if None), as dicts in tree order."""
    nodes = tree(course)
    if category is None:
        wanted = [node.category.id for node in nodes]
        uncategorised = questions_of(course, None)  # first: GIFT cannot go back to no category
    else:
        wanted = [node.category.id for node in subtree(nodes, category)]
        uncategorised = []
    position = {category_id: index for index, category_id in enumerate(wanted)}
    questions = db.session.scalars(select(Question).where(Question.category_id.in_(wanted))).all()
    questions.sort(key=lambda question: (position[question.category_id], question.id))
    return [quizzes.as_dict(question) for question in [*uncategorised, *questions]]


def export_text(items, file_format):
    """GIFT or JSON text for exported dicts; ValueError if GIFT cannot hold one of them."""
    if file_format == "json":
        return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
    return gift.dump(items)
