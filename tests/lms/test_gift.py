"""GIFT import and export: Moodle's own fixture gives exactly the expected JSON, everything round-trips,
and a file with a mistake reports the line and the question and yields nothing."""
import json
import os
from pathlib import Path

import pytest

from lms.quizzes import gift
from tests.conftest import same, without_lines

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "questions"
CONFORMANCE = Path(os.environ.get("LMS_CONFORMANCE_DIR") or ROOT.parent / "shared" / "conformance") / "gift"
DOCUMENTATION_KEYS = {"evidence", "note"}
# Fields the parser adds beyond expected.json: where the question starts, and the formats of
# true/false feedback, which expected.json does not name.
EXTRA_KEYS = {"line", "feedback_true_format", "feedback_false_format"}


def assert_round_trip(questions):
    text = gift.dump(questions)
    again = gift.parse(text)
    assert same(without_lines(again), without_lines(questions)), text


def problems_of(text):
    with pytest.raises(gift.GiftError) as raised:
        gift.parse(text)
    return raised.value.problems


@pytest.fixture(scope="module")
def conformance():
    if not CONFORMANCE.is_dir():
        pytest.skip(f"The shared GIFT conformance folder {CONFORMANCE} does not exist (set LMS_CONFORMANCE_DIR).")
    source = (CONFORMANCE / "questions.gift.txt").read_text(encoding="utf-8")
    expected = json.loads((CONFORMANCE / "expected.json").read_text(encoding="utf-8"))
    return source, expected


@pytest.fixture(scope="module")
def all_types():
    return (FIXTURES / "all-types.gift").read_text(encoding="utf-8")


# --- Moodle's fixture -------------------------------------------------------------------


def test_moodle_fixture_gives_exactly_the_expected_json(conformance):
    source, expected = conformance
    questions = gift.parse(source)
    assert len(questions) == 9
    assert [question["name"] for question in questions] == [item["name"] for item in expected]
    for index, (question, wanted) in enumerate(zip(questions, expected)):
        wanted = {key: value for key, value in wanted.items() if key not in DOCUMENTATION_KEYS}
        for key, value in wanted.items():
            assert same(question.get(key), value), (index, wanted["name"], key, question.get(key), value)
        assert set(question) - set(wanted) <= EXTRA_KEYS, (index, set(question) - set(wanted))


def test_moodle_fixture_questions_start_on_their_first_line_after_comments(conformance):
    questions = gift.parse(conformance[0])
    assert [question["line"] for question in questions] == [2, 5, 14, 22, 31, 34, 41, 46, 49]


def test_moodle_fixture_round_trips(conformance):
    assert_round_trip(gift.parse(conformance[0]))


def test_moodle_export_layout(conformance):
    """dump writes what Moodle's exporter writes for the same questions (Moodle's export tests)."""
    questions = gift.parse(conformance[0])
    text = gift.dump(questions)
    assert "::Q8::How are you?{}\n" in text
    assert "::Shortanswer::Which is the best animal?{\n\t=%100%Frog#Good!\n\t=%50%Cat#" in text
    assert "\t~#Completely wrong\n}" in text
    assert "\t~red#[html]wrong, it's yellow\n" in text
    assert "\t= -> Chat\n}" in text


# --- every feature, from our own fixture ------------------------------------------------


def test_all_types_fixture(all_types):
    expected = json.loads((FIXTURES / "all-types.json").read_text(encoding="utf-8"))
    questions = gift.parse(all_types)
    assert same(questions, expected)
    assert {question["type"] for question in questions} == set(gift.TYPES)


def test_all_types_fixture_round_trips(all_types):
    assert_round_trip(gift.parse(all_types))


def test_numerical_ranges_use_the_midpoint_and_half_width():
    [question] = gift.parse("How many?{#=1..5 =%50%-2.5..-0.5 =%25%10:0.5 =%0%*}")
    values = [(answer["value"], answer["tolerance"], answer["fraction"]) for answer in question["answers"]]
    assert values == [(3.0, 2.0, 1.0), (-1.5, 1.0, 0.5), (10.0, 0.5, 0.25), ("*", None, 0.0)]


def test_escapes_and_backslashes_as_in_moodle_tests():
    [question] = gift.parse("::double backslash:: A \\\\ B \\\\\\\\ C{}")
    assert question["text"] == "A \\ B \\\\ C"
    [question] = gift.parse(
        "::Q001::[html]<p>Code:</p>\n<pre>\n    void test() \\{\n        run();\n    \\}\n</pre>\n{}")
    assert question["type"] == "essay"
    assert question["text"] == "<p>Code:</p>\n<pre>\nvoid test() {\nrun();\n}\n</pre>"
    [question] = gift.parse("::a\\:b:: \\~ \\= \\# \\{ \\} \\n\\\\n?{=x\\#y#f\\=g}")
    assert question["name"] == "a:b"
    assert question["text"] == "~ = # { } \n\\n?"
    assert question["answers"][0]["text"] == "x#y"
    assert question["answers"][0]["feedback"] == "f=g"


def test_categories_default_and_switches():
    text = ("::A::Before?{T}\n\n$CATEGORY: $course$/top/Part 1\n\n::B::After?{F}\n\n"
            "$CATEGORY: Part 2\n::C::Same block?{T}\n")
    first, second, third = gift.parse(text, default_category="$course$/top/Imported")
    assert first["category"] == "$course$/top/Imported"
    assert second["category"] == "$course$/top/Part 1"
    assert (third["category"], third["name"], third["line"]) == ("Part 2", "C", 8)
    assert "category" not in gift.parse("::A::No category?{T}")[0]


def test_category_paths_follow_moodle():
    assert gift.category_path("$course$/top/Module 1/Law // and order") == ["Module 1", "Law / and order"]
    assert gift.category_path("Relative/Nested") == ["Relative", "Nested"]
    assert gift.category_string(["Module 1", "A/B"]) == "$course$/top/Module 1/A//B"
    assert gift.category_path(gift.category_string(["/lead", "trail/"])) == ["/lead", "trail/"]


def test_unnamed_question_is_named_from_its_text():
    [question] = gift.parse("[html]<p>What does a <b>mediator</b> do?</p>{~a =b}")
    assert question["name"] == "What does a mediator do?"
    long_text = "word " * 30
    [question] = gift.parse(long_text + "{T}")
    assert question["name"].endswith("...") and len(question["name"]) <= 83


def test_single_choice_keeps_weights_after_equals_as_text_like_moodle():
    [question] = gift.parse("Pick one {=%50%half ~%-25%wrong ~%abc%literal}")
    assert [(a["text"], a["fraction"]) for a in question["answers"]] == [
        ("%50%half", 1.0), ("wrong", -0.25), ("%abc%literal", 0.0)]


# --- writing ------------------------------------------------------------------------------


def question(kind, **fields):
    base = {"name": f"A {kind}", "type": kind, "text": "Text?", "text_format": "moodle",
            "general_feedback": "", "general_feedback_format": "moodle"}
    return {**base, **fields}


def test_dump_round_trips_awkward_texts():
    special = "a\\b #1 =2 ~3 {4} :5 \\n -> [html] \\\\ end"
    questions = [
        question("description", name="::odd:: name", text="[html] is not a marker here", text_format="moodle"),
        question("essay", text=special, general_feedback="", general_feedback_format="html"),
        question("multichoice", single=True, answers=[
            {"text": "%50% off", "text_format": "moodle", "fraction": 0.0,
             "feedback": special, "feedback_format": "moodle"},
            {"text": "[plain] x", "text_format": "moodle", "fraction": 1.0, "feedback": "", "feedback_format": "html"},
        ]),
        question("multichoice", single=True, answers=[
            {"text": "both", "text_format": "moodle", "fraction": 1.0, "feedback": "", "feedback_format": "moodle"},
            {"text": "right", "text_format": "moodle", "fraction": 1.0, "feedback": "", "feedback_format": "moodle"},
        ]),
        question("multichoice", single=False, answers=[
            {"text": "a", "text_format": "moodle", "fraction": 1 / 3, "feedback": "", "feedback_format": "moodle"},
            {"text": "b", "text_format": "moodle", "fraction": 2 / 3, "feedback": "", "feedback_format": "moodle"},
            {"text": "c", "text_format": "moodle", "fraction": -1.0, "feedback": "", "feedback_format": "moodle"},
        ]),
        question("shortanswer", answers=[
            {"text": "[html]", "fraction": 1.0, "feedback": "", "feedback_format": "moodle"},
            {"text": "%20%", "fraction": 0.2, "feedback": special.replace("->", ""), "feedback_format": "plain"},
        ]),
        question("numerical", answers=[
            {"value": "*", "tolerance": None, "fraction": 0.5, "feedback": "", "feedback_format": "moodle"},
            {"value": 0.2, "tolerance": 0.09999999999999998, "fraction": 1.0,
             "feedback": "", "feedback_format": "moodle"},
            {"value": -1e-05, "tolerance": 0.0, "fraction": 0.1, "feedback": "tiny", "feedback_format": "moodle"},
            {"value": "*", "tolerance": None, "fraction": 0.0, "feedback": "", "feedback_format": "moodle"},
        ]),
        question("truefalse", correct=False, feedback_true="", feedback_true_format="html",
                 feedback_false="ok", feedback_false_format="moodle"),
        question("matching", text_format="html", pairs=[
            {"question": "a", "question_format": "plain", "answer": "x -> y"},
            {"question": "b", "question_format": "html", "answer": special},
            {"question": "", "question_format": "markdown", "answer": "distractor"},
        ]),
    ]
    assert_round_trip(questions)


def test_dump_writes_category_lines():
    questions = [question("essay", category="$course$/top/One"), question("essay", category="$course$/top/One"),
                 question("essay", category="$course$/top/Two\\x")]
    text = gift.dump(questions)
    assert text.count("$CATEGORY:") == 2
    assert text.startswith("$CATEGORY: $course$/top/One\n\n")
    assert_round_trip(questions)


@pytest.mark.parametrize("questions", [
    [question("essay", category="A"), question("essay")],
    [question("shortanswer", answers=[{"text": "a->b", "fraction": 1.0, "feedback": "", "feedback_format": "moodle"}])],
    [question("matching", pairs=[{"question": "a->b", "question_format": "moodle", "answer": "c"}])],
    [question("poll")],
])
def test_dump_refuses_what_gift_cannot_hold(questions):
    with pytest.raises(ValueError):
        gift.dump(questions)


# --- errors ---------------------------------------------------------------------------------


ERRORS = [
    # (GIFT text, line, question, words of the message)
    ("// c\n::Open:: Pick {=a\n~b\n", 2, "Open", "never closed"),
    ("::Close:: Pick =a ~b}", 1, "Close", "without a {"),
    ("::Nested:: Pick {=a {~b}", 1, "Nested", "second {"),
    ("::Twice:: {T} and {F}", 1, "Twice", "one answer block"),
    ("::Name never closed {T}", 1, "::Name never closed {T}", "name is not closed"),
    ("::Empty:: {T}", 1, "Empty", "no text"),
    ("::NoRight::\nPick one\n{\n~a\n~b\n}", 3, "NoRight", "No answer is correct"),
    ("::Sum:: Pick {~%50%a ~%25%b ~c}", 1, "Sum", "add up to 75%"),
    ("::One:: Pick {~a}", 1, "One", "at least two answers"),
    ("::Blank:: Pick {=a\n~\n~c}", 2, "Blank", "empty"),
    ("::Heavy:: Pick {\n=a\n~%150%b\n}", 3, "Heavy", "outside -100% to 100%"),
    ("::Comma:: Pick {=a ~%50,5%b}", 1, "Comma", "not a number"),
    ("::Num::\nHow many?\n{#\n=3\n=abc\n}", 5, "Num", "“abc” is not a number"),
    ("::Range:: How many? {#5..1}", 1, "Range", "starts above its end"),
    ("::Tol:: How many? {#3:-1}", 1, "Tol", "tolerance"),
    ("::Tilde:: How many? {#3 ~2#close}", 1, "Tilde", "~#feedback"),
    ("::NoNum:: How many? {#~#wrong}", 1, "NoNum", "at least one answer"),
    ("::TF:: The sky is blue.{true}", 1, "TF", "T, F, TRUE or FALSE"),
    ("::Neg:: Name it {=%-50%a =b}", 1, "Neg", "Negative weights"),
    ("::Half:: Name it {=%50%a}", 1, "Half", "full marks"),
    ("::Pairs:: Match {=a -> 1\n=b -> 2\n=c}", 3, "Pairs", "question -> answer"),
    ("::NoAnswer:: Match {=a -> 1 =b -> }", 1, "NoAnswer", "no answer after ->"),
    ("::Lonely:: Match {=a -> 1 = -> 2}", 1, "Lonely", "at least two pairs"),
    ("Who decides the outcome of a mediation in the end? {~a}", 1, "Who decides the outcome of a…",
     "at least two answers"),
    ("$CATEGORY:\n\n::Fine::Ok?{T}", 1, "$CATEGORY:", "category name is missing"),
]


@pytest.mark.parametrize(("text", "line", "name", "words"), ERRORS)
def test_error_reports_line_and_question(text, line, name, words):
    problems = problems_of(text)
    assert [(problem.line, problem.question) for problem in problems] == [(line, name)], problems
    assert words in problems[0].message
    assert f"Line {line}" in str(problems[0])


def test_every_problem_is_reported_and_nothing_imported(all_types):
    broken = all_types + "\n\n::Bad1:: Pick {~a}\n\n// fine\n::Fine::Ok?{T}\n\n::Bad2:: How many? {#x}\n"
    problems = problems_of(broken)
    last = len(all_types.splitlines())
    assert [(problem.line, problem.question) for problem in problems] == [(last + 3, "Bad1"), (last + 8, "Bad2")]
    error = gift.GiftError(problems)
    assert "Bad1" in str(error) and "Bad2" in str(error)


def test_blank_line_inside_a_question_splits_it_like_moodle():
    problems = problems_of("::Split:: Pick {\n=a\n\n~b\n}")
    assert [(problem.line, problem.message.split()[0]) for problem in problems] == [(1, "The"), (5, "There")]


def test_empty_and_comment_only_files_have_no_questions():
    assert gift.parse("") == []
    assert gift.parse("\ufeff// only a comment\n\n   \n") == []
