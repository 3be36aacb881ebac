"""The question bank in the browser: who may reach it, categories, every question type,
the GIFT reader's rules as form errors, versions, preview, file import and export."""
import io
import itertools
import json
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from lms.courses.models import Course
from lms.enrollments.models import Enrollment
from lms.extensions import db
from lms.quizzes import services as quizzes
from lms.quizzes.models import Question, QuestionCategory
from tests.conftest import FIXTURES, counting_statements, csrf_token

SLUGS = itertools.count(1)


# --- helpers ------------------------------------------------------------------------


def make_course(app, instructor=None, trainee=None):
    slug = f"bank-{next(SLUGS)}"
    with app.app_context():
        course = Course(slug=slug, title={"en": f"Course {slug}"}, description={"en": "About it."}, languages=["en"],
                        published=True)
        db.session.add(course)
        for user, role in ((instructor, "instructor"), (trainee, "trainee")):
            if user is not None:
                db.session.add(Enrollment(user_id=user.id, course=course, role=role))
        db.session.commit()
        return slug, course.id


def make_category(app, course_id, name, parent_id=None):
    with app.app_context():
        category = QuestionCategory(course_id=course_id, name=name, parent_id=parent_id)
        db.session.add(category)
        db.session.commit()
        return category.id


ESSAY = {"name": "Reflect", "type": "essay", "text": "Describe a conflict.", "text_format": "moodle",
         "general_feedback": "", "general_feedback_format": "moodle"}


def make_question(app, course_id, category_id, item=ESSAY, **changes):
    with app.app_context():
        question = Question(course_id=course_id, category_id=category_id)
        quizzes.set_fields(question, {**item, **changes})
        db.session.add(question)
        db.session.commit()
        return question.id


def question_dict(app, question_id):
    with app.app_context():
        question = db.session.get(Question, question_id)
        return {**quizzes.as_dict(question), "version": question.version, "category_id": question.category_id}


def questions_in(app, course_id):
    with app.app_context():
        return db.session.scalar(select(func.count(Question.id)).where(Question.course_id == course_id))


def rows(field, entries):
    """Form data for rows of answers: rows("answers", [{"text": "a"}, ...])."""
    return {f"{field}-{index}-{key}": value for index, entry in enumerate(entries) for key, value in entry.items()}


def post(client, path, data=None, **kwargs):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def page(response):
    return unescape(response.get_data(as_text=True))


def row_html(html, number):
    """The HTML of answer row `number` (1-based) of a question form."""
    pieces = re.split(r"<legend>Row \d+</legend>", html)
    return pieces[number]


@pytest.fixture
def bank(app, client, login_as):
    """A signed-in instructor with a course and a category in its bank."""
    instructor = login_as("instructor")
    slug, course_id = make_course(app, instructor=instructor)
    category_id = make_category(app, course_id, "Module 1")
    return type("Bank", (), {"slug": slug, "course_id": course_id, "category_id": category_id,
                             "url": f"/courses/{slug}/questions", "user": instructor})


def common(bank, **fields):
    return {"category": str(bank.category_id), "name": "", "text": "What?", "text_format": "moodle",
            "general_feedback": "", "general_feedback_format": "moodle", **fields}


# --- who may reach it -----------------------------------------------------------------


def routes(url, category_id, question_id):
    gets = [
        "", f"/categories/{category_id}", f"/new?type=essay&category={category_id}", f"/{question_id}",
        f"/{question_id}/preview", "/import", "/export?format=gift", f"/export?format=json&category={category_id}",
    ]
    posts = ["/categories", f"/categories/{category_id}/delete", "/move", f"/{question_id}"]
    return [("get", url + path) for path in gets] + [("post", url + path) for path in posts]


@pytest.mark.parametrize("who", ["anonymous", "trainee", "site_instructor", "other_instructor", "course_trainee"])
def test_only_the_course_staff_reach_the_bank(app, client, create_user, auth, who):
    owner = create_user("instructor")
    slug, course_id = make_course(app, instructor=owner)
    category_id = make_category(app, course_id, "Module 1")
    question_id = make_question(app, course_id, category_id)
    if who != "anonymous":
        user = create_user("instructor" if "instructor" in who else "trainee")
        if who == "other_instructor":
            make_course(app, instructor=user)
        if who == "course_trainee":
            with app.app_context():
                db.session.add(Enrollment(user_id=user.id, course_id=course_id, role="trainee"))
                db.session.commit()
        auth.login(user)
    for method, path in routes(f"/courses/{slug}/questions", category_id, question_id):
        response = client.get(path) if method == "get" else post(client, path)
        if who == "anonymous":
            assert response.status_code == 302 and "/account/login" in response.headers["Location"], path
        else:
            assert response.status_code == 403, (path, response.status_code)
    assert question_dict(app, question_id)["version"] == 1


@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_course_instructors_and_administrators_reach_every_page(app, client, login_as, role):
    user = login_as(role)
    slug, course_id = make_course(app, instructor=user if role == "instructor" else None)
    category_id = make_category(app, course_id, "Module 1")
    question_id = make_question(app, course_id, category_id)
    for method, path in routes(f"/courses/{slug}/questions", category_id, question_id):
        if method == "get":
            assert client.get(path).status_code == 200, path


def test_ids_of_another_course_are_not_found(app, client, bank):
    other_slug, other_id = make_course(app, instructor=bank.user)
    foreign_category = make_category(app, other_id, "Elsewhere")
    foreign_question = make_question(app, other_id, foreign_category)
    own_question = make_question(app, bank.course_id, bank.category_id)
    for path in (f"/categories/{foreign_category}", f"/{foreign_question}", f"/{foreign_question}/preview",
                 f"/export?format=gift&category={foreign_category}", f"?category={foreign_category}",
                 f"/new?type=essay&category={foreign_category}", "/new?type=nonsense", "/export?format=xml"):
        assert client.get(bank.url + path).status_code == 404, path
    assert post(client, f"{bank.url}/categories/{foreign_category}/delete").status_code == 404
    moved = post(client, f"{bank.url}/move", {"questions": [own_question, foreign_question],
                                              "target": bank.category_id})
    assert moved.status_code == 404
    # a category of another course is no choice in a form either
    response = post(client, f"{bank.url}/{own_question}", common(bank, category=str(foreign_category)))
    assert response.status_code == 400
    assert question_dict(app, foreign_question)["category_id"] == foreign_category
    assert client.get("/courses/no-such-course/questions").status_code == 404


def test_the_course_page_links_to_the_bank_for_staff_only(app, client, bank, auth, create_user):
    assert f'href="{bank.url}"' in client.get(f"/courses/{bank.slug}").get_data(as_text=True)
    auth.logout()
    auth.login(create_user("trainee"))
    assert f'href="{bank.url}"' not in client.get(f"/courses/{bank.slug}").get_data(as_text=True)


# --- categories -------------------------------------------------------------------------


def category_named(app, course_id, name):
    with app.app_context():
        category = db.session.scalar(select(QuestionCategory).where(QuestionCategory.course_id == course_id,
                                                                    QuestionCategory.name == name))
        return category and (category.id, category.parent_id)


def test_categories_nest_move_and_rename(app, client, bank):
    response = post(client, f"{bank.url}/categories", {"name": "Ethics", "parent": str(bank.category_id)})
    assert response.status_code == 302
    ethics, parent = category_named(app, bank.course_id, "Ethics")
    assert parent == bank.category_id
    post(client, f"{bank.url}/categories", {"name": "Confidentiality", "parent": str(ethics)})
    deep, parent = category_named(app, bank.course_id, "Confidentiality")
    assert parent == ethics
    html = page(client.get(bank.url))
    tree = html[html.index('class="category-tree"'):]
    assert tree.index("Module 1") < tree.index("Ethics") < tree.index("Confidentiality")
    assert 'class="depth-2"' in tree

    # rename and move to the top
    response = post(client, f"{bank.url}/categories/{ethics}", {"name": "Ethics and law", "parent": ""})
    assert response.status_code == 302
    assert category_named(app, bank.course_id, "Ethics and law") == (ethics, None)
    assert category_named(app, bank.course_id, "Confidentiality") == (deep, ethics)

    # not into itself or below itself
    for target in (ethics, deep):
        response = post(client, f"{bank.url}/categories/{ethics}", {"name": "Ethics and law", "parent": str(target)})
        assert response.status_code == 400
        assert "Not a valid choice" in page(response)
    assert category_named(app, bank.course_id, "Ethics and law") == (ethics, None)

    # sibling names are unique, at the top as well
    for name, parent in (("Module 1", ""), ("Confidentiality", str(ethics))):
        response = post(client, f"{bank.url}/categories", {"name": name, "parent": parent})
        assert response.status_code == 400
        assert f"There is already a category “{name}” there." in page(response)
    assert post(client, f"{bank.url}/categories", {"name": "  ", "parent": ""}).status_code == 400


def test_only_empty_categories_can_be_deleted(app, client, bank):
    child = make_category(app, bank.course_id, "Child", bank.category_id)
    question_id = make_question(app, bank.course_id, child)
    message = "Only an empty category can be deleted"
    for category_id in (bank.category_id, child):
        response = post(client, f"{bank.url}/categories/{category_id}/delete", follow_redirects=True)
        assert message in page(response)
    assert category_named(app, bank.course_id, "Child")
    post(client, f"{bank.url}/move", {"questions": [question_id], "target": bank.category_id})
    response = post(client, f"{bank.url}/categories/{child}/delete", follow_redirects=True)
    assert "The category Child has been deleted." in page(response)
    assert category_named(app, bank.course_id, "Child") is None
    assert question_dict(app, question_id)["category_id"] == bank.category_id


def test_questions_move_between_categories_in_bulk(app, client, bank):
    other = make_category(app, bank.course_id, "Module 2")
    ids = [make_question(app, bank.course_id, bank.category_id, name=name) for name in ("Alpha", "Beta", "Gamma")]
    response = post(client, f"{bank.url}/move", {"questions": ids[:2], "target": other})
    assert response.status_code == 302
    assert [question_dict(app, qid)["category_id"] for qid in ids] == [other, other, bank.category_id]
    assert [question_dict(app, qid)["version"] for qid in ids] == [1, 1, 1]  # moving is no new version
    html = page(client.get(f"{bank.url}?category={other}"))
    assert "Alpha" in html and "Beta" in html and "Gamma" not in html
    nothing = post(client, f"{bank.url}/move?category={other}", {"target": other}, follow_redirects=True)
    assert "Select the questions to move first." in page(nothing)
    assert post(client, f"{bank.url}/move", {"questions": ["x"], "target": other}).status_code == 400


# --- questions of every type ---------------------------------------------------------------


def created(app, bank, name):
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.course_id == bank.course_id,
                                                            Question.name == name))
        assert question is not None, name
        return {**quizzes.as_dict(question), "version": question.version}


def create(client, bank, kind, data):
    return post(client, f"{bank.url}/new?type={kind}&category={bank.category_id}", data)


def test_a_new_question_form_offers_six_rows(client, bank):
    html = page(client.get(f"{bank.url}/new?type=multichoice&category={bank.category_id}"))
    assert html.count("<legend>Row ") == 6
    assert 'name="answers-5-text"' in html and 'name="answers-0-weight" type="text" value="100"' in html


def test_create_multiple_choice_with_one_answer(app, client, bank):
    data = common(bank, name="Mediator role", text="Who decides?", single="one", general_feedback="See module 1.",
                  **rows("answers", [
                      {"text": "The parties", "weight": "100", "feedback": "Right."},
                      {"text": "The mediator", "feedback": "No.", "feedback_format": "html"},
                      {"text": "The judge", "weight": "-50", "text_format": "plain"},
                  ]))
    response = create(client, bank, "multichoice", data)
    assert response.status_code == 302, page(response)
    question = created(app, bank, "Mediator role")
    assert question["single"] is True and question["general_feedback"] == "See module 1."
    assert question["answers"] == [
        {"text": "The parties", "text_format": "moodle", "fraction": 1.0, "feedback": "Right.", "feedback_format": "moodle"},
        {"text": "The mediator", "text_format": "moodle", "fraction": 0.0, "feedback": "No.", "feedback_format": "html"},
        {"text": "The judge", "text_format": "plain", "fraction": -0.5, "feedback": "", "feedback_format": "moodle"},
    ]
    assert question["version"] == 1


def test_create_multiple_choice_with_several_weighted_answers(app, client, bank):
    data = common(bank, name="Good practice", single="several", **rows("answers", [
        {"text": "Listening", "weight": "50"}, {"text": "Reframing", "weight": "50"},
        {"text": "Taking sides", "weight": "-100", "feedback": "Never."}, {"text": "", "weight": ""},
    ]))
    assert create(client, bank, "multichoice", data).status_code == 302
    question = created(app, bank, "Good practice")
    assert question["single"] is False
    assert [answer["fraction"] for answer in question["answers"]] == [0.5, 0.5, -1.0]


def test_create_true_false(app, client, bank):
    data = common(bank, name="Neutral", text="A mediator takes sides.", correct="false",
                  feedback_true="No: impartiality.", feedback_false="Right.", feedback_false_format="markdown")
    assert create(client, bank, "truefalse", data).status_code == 302
    question = created(app, bank, "Neutral")
    assert question["correct"] is False
    assert (question["feedback_true"], question["feedback_false"], question["feedback_false_format"]) == \
        ("No: impartiality.", "Right.", "markdown")


def test_create_short_answer(app, client, bank):
    data = common(bank, name="Animal", **rows("answers", [
        {"text": "Frog", "weight": "100", "feedback": "Good!"}, {"text": "Toad", "weight": "50"},
        {"text": "*", "feedback": "Completely wrong"},
    ]))
    assert create(client, bank, "shortanswer", data).status_code == 302
    assert created(app, bank, "Animal")["answers"] == [
        {"text": "Frog", "fraction": 1.0, "feedback": "Good!", "feedback_format": "moodle"},
        {"text": "Toad", "fraction": 0.5, "feedback": "", "feedback_format": "moodle"},
        {"text": "*", "fraction": 0.0, "feedback": "Completely wrong", "feedback_format": "moodle"},
    ]


def test_create_numerical_with_tolerance_and_several_answers(app, client, bank):
    data = common(bank, name="Law year", **rows("answers", [
        {"value": "2011", "tolerance": "0.5", "weight": "100"}, {"value": "2010", "weight": "50", "feedback": "Close."},
        {"value": "*", "feedback": "No."},
    ]))
    assert create(client, bank, "numerical", data).status_code == 302
    assert created(app, bank, "Law year")["answers"] == [
        {"value": 2011.0, "tolerance": 0.5, "fraction": 1.0, "feedback": "", "feedback_format": "moodle"},
        {"value": 2010.0, "tolerance": 0.0, "fraction": 0.5, "feedback": "Close.", "feedback_format": "moodle"},
        {"value": "*", "tolerance": None, "fraction": 0.0, "feedback": "No.", "feedback_format": "moodle"},
    ]


def test_create_matching_with_a_distractor(app, client, bank):
    data = common(bank, name="Stages", text_format="html", **rows("pairs", [
        {"question": "First", "question_format": "html", "answer": "Opening"},
        {"question": "Last", "question_format": "plain", "answer": "Agreement"},
        {"question": "", "answer": "Lunch"},
    ]))
    assert create(client, bank, "matching", data).status_code == 302
    assert created(app, bank, "Stages")["pairs"] == [
        {"question": "First", "question_format": "html", "answer": "Opening"},
        {"question": "Last", "question_format": "plain", "answer": "Agreement"},
        {"question": "", "question_format": "moodle", "answer": "Lunch"},
    ]


def test_create_essay_and_description(app, client, bank):
    essay = common(bank, name="Reflect", text="Describe a conflict.", general_feedback="Graded by hand.",
                   general_feedback_format="markdown")
    assert create(client, bank, "essay", essay).status_code == 302
    question = created(app, bank, "Reflect")
    assert (question["type"], question["general_feedback"], question["general_feedback_format"]) == \
        ("essay", "Graded by hand.", "markdown")
    description = common(bank, text="Read **each** question.", text_format="markdown")
    assert create(client, bank, "description", description).status_code == 302
    question = created(app, bank, "Read **each** question.")  # no name: the start of the text, as in GIFT
    assert (question["type"], question["text_format"]) == ("description", "markdown")


def test_texts_with_gift_special_characters_are_kept(app, client, bank):
    text = "Costs {a} = ~b # c: \\ d\nsecond line // not a comment"
    data = common(bank, name="Special: {chars}", text=text, **rows("answers", [
        {"text": "x = y", "weight": "100", "feedback": "# yes ~"}, {"text": "[html] literal"},
    ]))
    assert create(client, bank, "multichoice", data | {"single": "one"}).status_code == 302
    question = created(app, bank, "Special: {chars}")
    assert question["text"] == text
    assert [answer["text"] for answer in question["answers"]] == ["x = y", "[html] literal"]
    assert question["answers"][0]["feedback"] == "# yes ~"


# --- the GIFT reader's rules ------------------------------------------------------------------


def test_weights_that_do_not_add_up_are_refused_next_to_the_answers(app, client, bank):
    data = common(bank, name="Bad weights", single="several", **rows("answers", [
        {"text": "a", "weight": "50"}, {"text": "b", "weight": "30"}, {"text": "c"},
    ]))
    response = create(client, bank, "multichoice", data)
    assert response.status_code == 400
    html = page(response)
    assert "The positive weights add up to 80%, not 100%." in html
    assert html.index("The positive weights add up") < html.index("<legend>Row 1</legend>")
    assert questions_in(app, bank.course_id) == 0


def test_a_problem_in_one_answer_shows_in_its_row(app, client, bank):
    data = common(bank, name="Bad row", single="several", **rows("answers", [
        {"text": "a", "weight": "100"}, {"text": "", "weight": ""}, {"text": "b", "weight": "150"},
        {"text": "", "feedback": "orphan feedback"},
    ]))
    response = create(client, bank, "multichoice", data)
    assert response.status_code == 400
    html = page(response)
    assert "The weight %150% is outside -100% to 100%." in row_html(html, 3)
    assert "An answer is empty." in row_html(html, 4)
    assert "An answer is empty." not in row_html(html, 2)
    assert questions_in(app, bank.course_id) == 0


@pytest.mark.parametrize("kind, data, message", [
    ("multichoice", {"single": "one", **rows("answers", [{"text": "only", "weight": "100"}])},
     "A multiple choice question needs at least two answers."),
    ("multichoice", {"single": "one", **rows("answers", [{"text": "a", "weight": "50"}, {"text": "b", "weight": "50"}])},
     "One answer must be worth 100% when only one answer is allowed."),
    ("multichoice", {"single": "several", **rows("answers", [{"text": "a"}, {"text": "b"}])},
     "No answer is correct"),
    ("shortanswer", rows("answers", [{"text": "a", "weight": "-50"}, {"text": "b", "weight": "100"}]),
     "Negative weights are only allowed in multiple choice questions."),
    ("shortanswer", rows("answers", [{"text": "a", "weight": "50"}]),
     "No answer is worth 100%, so nobody could get full marks."),
    ("shortanswer", rows("answers", [{"text": "a -> b", "weight": "100"}]), "which GIFT would read as a matching"),
    ("numerical", rows("answers", [{"value": "3", "tolerance": "-1", "weight": "100"}]), "is negative."),
    ("numerical", rows("answers", [{"value": "three", "weight": "100"}]), "Enter a number, or * for any other answer."),
    ("numerical", rows("answers", [{"value": "", "weight": "100"}]), "Enter the answer: a number"),
    ("numerical", rows("answers", [{"value": "3", "weight": "lots"}]), "Enter a number, such as 50"),
    ("matching", rows("pairs", [{"question": "a", "answer": "b"}, {"question": "", "answer": "c"}]),
     "A matching question needs at least two pairs with a question."),
    ("matching", rows("pairs", [{"question": "a", "answer": "b"}, {"question": "c", "answer": ""}]),
     "A matching pair has no answer after ->."),
    ("matching", {}, "Fill in at least one row."),
    ("essay", {"text": "  "}, "The question has no text."),
])
def test_the_rules_of_the_gift_reader_apply(app, client, bank, kind, data, message):
    response = create(client, bank, kind, common(bank, name="Broken", **data))
    assert response.status_code == 400
    assert message in page(response)
    assert questions_in(app, bank.course_id) == 0


# --- editing and versions ----------------------------------------------------------------------


def test_saving_a_changed_question_raises_its_version(app, client, bank):
    data = common(bank, name="Animal", **rows("answers", [{"text": "Frog", "weight": "100"}]))
    create(client, bank, "shortanswer", data)
    question_id = db_id(app, bank, "Animal")
    html = page(client.get(f"{bank.url}/{question_id}"))
    assert 'value="Frog"' in html and html.count("<legend>Row ") == 6  # the answer and blank rows after it
    response = post(client, f"{bank.url}/{question_id}", data)
    assert "Nothing changed" in page(client.get(response.headers["Location"]))
    assert question_dict(app, question_id)["version"] == 1
    changed = data | rows("answers", [{"text": "Frog", "weight": "100"}, {"text": "Toad", "weight": "50"}])
    assert post(client, f"{bank.url}/{question_id}", changed).status_code == 302
    assert question_dict(app, question_id)["version"] == 2
    assert post(client, f"{bank.url}/{question_id}", changed | {"text": "Which animal?"}).status_code == 302
    question = question_dict(app, question_id)
    assert (question["version"], question["text"], len(question["answers"])) == (3, "Which animal?", 2)
    refused = post(client, f"{bank.url}/{question_id}", changed | {"answers-0-weight": "50"})
    assert refused.status_code == 400
    assert question_dict(app, question_id)["version"] == 3


def db_id(app, bank, name):
    with app.app_context():
        return db.session.scalar(select(Question.id).where(Question.course_id == bank.course_id, Question.name == name))


def test_every_imported_question_opens_and_saves_unchanged(app, client, bank):
    """The forms show every field the GIFT reader knows, so saving without a change changes nothing."""
    text = (FIXTURES / "questions" / "all-types.gift").read_text(encoding="utf-8")
    response = post(client, f"{bank.url}/import", {"file": (io.BytesIO(text.encode()), "all-types.gift"),
                                                  "file_format": "", "category": str(bank.category_id)})
    assert response.status_code == 302, page(response)
    with app.app_context():
        ids = db.session.scalars(select(Question.id).where(Question.course_id == bank.course_id)).all()
    assert len(ids) > 7
    for question_id in ids:
        before = question_dict(app, question_id)
        form = page(client.get(f"{bank.url}/{question_id}"))
        data = form_values(form)
        response = client.post(f"{bank.url}/{question_id}", data=data)
        assert response.status_code == 302, (before["name"], re.findall(r'class="error">([^<]*)', page(response)))
        assert question_dict(app, question_id) == before


def form_values(html):
    """What a browser would submit from the question form as it is shown."""
    form = html[html.index('class="card authoring-form question-form"'):]
    form = form[:form.index("</form>")]
    data = {}
    for match in re.finditer(r'<input[^>]*>', form):
        tag = match.group()
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            data[name.group(1)] = value.group(1) if value else ""
    for match in re.finditer(r'<textarea[^>]*name="([^"]*)"[^>]*>\r?\n?(.*?)</textarea>', form, re.S):
        data[match.group(1)] = match.group(2)
    for match in re.finditer(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', match.group(2))
        first = re.search(r'<option[^>]*value="([^"]*)"', match.group(2))
        data[match.group(1)] = (selected.group(1) or selected.group(2)) if selected else first.group(1)
    return data


# --- preview ------------------------------------------------------------------------------


def test_preview_shows_the_question_sanitised_and_without_answers(app, client, bank):
    question_id = make_question(app, bank.course_id, bank.category_id, {
        "name": "Risky", "type": "multichoice", "text_format": "html",
        "text": '<b>Bold</b><script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">x</a>',
        "general_feedback": "GENERAL-SECRET", "general_feedback_format": "moodle", "single": True,
        "answers": [
            {"text": "Right <script>alert(4)</script>", "text_format": "html", "fraction": 1.0,
             "feedback": "FEEDBACK-SECRET", "feedback_format": "moodle"},
            {"text": "**Wrong**", "text_format": "markdown", "fraction": 0.0, "feedback": "", "feedback_format": "moodle"},
        ],
    })
    response = client.get(f"{bank.url}/{question_id}/preview")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<b>Bold</b>" in html and "<strong>Wrong</strong>" in html
    for unsafe in ("<script>alert", "onerror", "javascript:alert"):
        assert unsafe not in html
    assert 'type="radio"' in html
    for secret in ("GENERAL-SECRET", "FEEDBACK-SECRET", "right answer"):
        assert secret not in html


@pytest.mark.parametrize("item, expected", [
    ({"type": "truefalse", "correct": True, "feedback_true": "", "feedback_false": ""}, 'value="true"'),
    ({"type": "shortanswer", "answers": [{"text": "Frog", "fraction": 1.0, "feedback": "", "feedback_format": "moodle"}]},
     'type="text"'),
    ({"type": "matching", "pairs": [{"question": "A", "question_format": "moodle", "answer": "1"},
                                    {"question": "B", "question_format": "moodle", "answer": "2"}]}, "<select"),
    ({"type": "essay"}, "<textarea"),
    ({"type": "description", "text": "Just **read**.", "text_format": "markdown"}, "<strong>read</strong>"),
])
def test_preview_of_each_type(app, client, bank, item, expected):
    question_id = make_question(app, bank.course_id, bank.category_id, {**ESSAY, **item})
    response = client.get(f"{bank.url}/{question_id}/preview")
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)
    if item["type"] == "shortanswer":
        assert "Frog" not in response.get_data(as_text=True)


# --- files ----------------------------------------------------------------------------------


def upload(client, bank, text, filename, **fields):
    data = {"file": (io.BytesIO(text.encode("utf-8")), filename), "file_format": "", "category": "", **fields}
    return post(client, f"{bank.url}/import", data, content_type="multipart/form-data")


def test_a_file_with_an_error_imports_nothing_and_lists_the_line(app, client, bank):
    text = "::Fine::Is this fine?{T}\n\n// a comment\n::Broken::Who decides?{=The parties ~The mediator\n\n::Also::Hm?{~%50%b ~%60%c}\n"
    response = upload(client, bank, text, "module.gift")
    assert response.status_code == 400
    html = page(response)
    assert "Nothing was imported" in html
    assert "Line 4, question “Broken”" in html
    assert "Line 6, question “Also”" in html
    assert questions_in(app, bank.course_id) == 0
    assert category_named(app, bank.course_id, "module") is None


def test_import_gift_and_aiken_from_the_browser(app, client, bank):
    text = "::One::Is this fine?{T}\n\n$CATEGORY: $course$/top/Module 1/Deeper\n\n::Two::Why?{}\n"
    response = upload(client, bank, text, "module.gift", category=str(bank.category_id))
    assert response.status_code == 302
    assert "2 questions have been imported." in page(client.get(response.headers["Location"]))
    assert question_dict(app, db_id(app, bank, "One"))["category_id"] == bank.category_id
    deeper, parent = category_named(app, bank.course_id, "Deeper")
    assert parent == bank.category_id and question_dict(app, db_id(app, bank, "Two"))["category_id"] == deeper

    aiken = (FIXTURES / "questions" / "sample.aiken.txt").read_text(encoding="utf-8")
    assert upload(client, bank, aiken, "sample.aiken.txt").status_code == 302
    new_category, _parent = category_named(app, bank.course_id, "sample")
    with app.app_context():
        names = db.session.scalars(select(Question.name).where(Question.category_id == new_category)).all()
    assert names == ["Who decides the outcome of a mediation?", "Which stage comes first?"]
    assert upload(client, bank, aiken, "sample.txt", file_format="aiken").status_code == 302
    not_utf8 = post(client, f"{bank.url}/import", {"file": (io.BytesIO(b"\xff\xfe"), "x.gift"), "category": ""},
                    content_type="multipart/form-data")
    assert not_utf8.status_code == 400 and "not UTF-8" in page(not_utf8)


def test_export_a_category_or_the_whole_bank(app, client, bank):
    child = make_category(app, bank.course_id, "Child", bank.category_id)
    other = make_category(app, bank.course_id, "Other")
    make_question(app, bank.course_id, bank.category_id, name="Top essay")
    make_question(app, bank.course_id, child, name="Child essay")
    make_question(app, bank.course_id, other, name="Other essay")
    response = client.get(f"{bank.url}/export?format=gift&category={bank.category_id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True)
    assert "$CATEGORY: $course$/top/Module 1\n" in text and "$CATEGORY: $course$/top/Module 1/Child\n" in text
    assert "Top essay" in text and "Child essay" in text and "Other essay" not in text
    items = json.loads(client.get(f"{bank.url}/export?format=json").get_data(as_text=True))
    assert [item["name"] for item in items] == ["Top essay", "Child essay", "Other essay"]
    assert items[1]["category"] == "$course$/top/Module 1/Child"
    assert set(items[0]) == {"name", "type", "text", "text_format", "general_feedback", "general_feedback_format",
                             "category"}


# --- queries ---------------------------------------------------------------------------------


def bank_statements(app, client, bank, count):
    for number in range(count):
        make_question(app, bank.course_id, bank.category_id, name=f"Q{number}")
    with counting_statements(app) as statements:
        response = client.get(f"{bank.url}?category={bank.category_id}")
    assert response.status_code == 200
    assert any("FROM questions" in statement for statement in statements)  # the listener sees the page's queries
    return len(statements)


def test_the_bank_page_does_not_query_per_question(app, client, bank):
    for number in range(3):
        make_category(app, bank.course_id, f"Sub {number}", bank.category_id)
    few = bank_statements(app, client, bank, 3)
    many = bank_statements(app, client, bank, 30)
    assert few == many
