"""Aiken import (and export of single-answer multiple choice): Moodle's reading, with every mistake reported by line."""
from pathlib import Path

import pytest

from lms.quizzes import aiken, gift
from tests.conftest import without_lines

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "questions"


def choice(text, fraction=0.0):
    return {"text": text, "text_format": "html", "fraction": fraction, "feedback": "", "feedback_format": "html"}


def problems_of(text):
    with pytest.raises(aiken.AikenError) as raised:
        aiken.parse(text)
    return [(problem.line, problem.question, problem.message) for problem in raised.value.problems]


def test_fixture_gives_single_answer_multiple_choice():
    questions = aiken.parse((FIXTURES / "sample.aiken.txt").read_text(encoding="utf-8"))
    assert questions == [
        {"name": "Who decides the outcome of a mediation?", "type": "multichoice",
         "text": "Who decides the outcome of a mediation?", "text_format": "html",
         "general_feedback": "", "general_feedback_format": "html", "single": True,
         "answers": [choice("The mediator"), choice("The parties", 1.0), choice("The judge &amp; the lawyers")],
         "line": 1},
        {"name": "Which stage comes first?", "type": "multichoice", "text": "Which stage comes first?",
         "text_format": "html", "general_feedback": "", "general_feedback_format": "html", "single": True,
         "answers": [choice("Opening statements", 1.0), choice("Agreement &lt;draft&gt;")], "line": 7},
    ]


def test_same_shape_as_gift_multiple_choice():
    [from_aiken] = aiken.parse("Pick one\nA) x\nB) y\nANSWER: A\n")
    [from_gift] = gift.parse("::Pick one::[html]Pick one{=[html]x ~[html]y}")
    assert from_aiken.keys() == from_gift.keys()
    assert [answer.keys() for answer in from_aiken["answers"]] == [answer.keys() for answer in from_gift["answers"]]


def test_crlf_bom_short_lines_and_default_category():
    text = "\ufeffFirst?\r\nA. yes\r\nB) no\r\n\r\nx\r\nANSWER: A\r\n"
    [question] = aiken.parse(text, default_category="$course$/top/Aiken")
    assert question["category"] == "$course$/top/Aiken"
    assert [answer["fraction"] for answer in question["answers"]] == [1.0, 0.0]


def test_dump_round_trips():
    questions = aiken.parse((FIXTURES / "sample.aiken.txt").read_text(encoding="utf-8"))
    text = aiken.dump(questions)
    assert text.startswith("Who decides the outcome of a mediation?\nA) The mediator\n")
    assert "ANSWER: B\n" in text
    assert without_lines(aiken.parse(text)) == without_lines(questions)


@pytest.mark.parametrize("question", [
    {"name": "tf", "type": "truefalse", "text": "True?", "text_format": "moodle", "correct": True},
    {"name": "multi", "type": "multichoice", "text": "Pick", "text_format": "html", "single": False,
     "answers": [choice("a", 0.5), choice("b", 0.5)]},
    {"name": "two right", "type": "multichoice", "text": "Pick", "text_format": "html", "single": True,
     "answers": [choice("a", 1.0), choice("b", 1.0)]},
    {"name": "looks like a choice", "type": "multichoice", "text": "A) Pick", "text_format": "html", "single": True,
     "answers": [choice("a", 1.0), choice("b")]},
])
def test_dump_refuses_what_aiken_cannot_hold(question):
    with pytest.raises(ValueError):
        aiken.dump([question])


@pytest.mark.parametrize(("text", "expected"), [
    ("A) stray choice\nANSWER: A\n", [(1, "A) stray choice", "before any question"),
                                      (2, "ANSWER: A", "before any question")]),
    ("Too few?\nA) only\nANSWER: A\n", [(3, "Too few?", "at least two choices")]),
    ("Which?\nA) a\nB) b\nANSWER: C\n", [(4, "Which?", "not one of the choices A to B")]),
    ("Which?\nA) a\nB) b\nANSWER:\n", [(4, "Which?", "not one of the choices")]),
    ("Which?\nA) a\nC) b\nANSWER: B\n", [(3, "Which?", "B was expected")]),
    ("Which?\nA) a\nB)\nANSWER: A\n", [(3, "Which?", "no text")]),
    ("Unfinished?\nA) a\nB) b\n\nNext?\nA) a\nB) b\nANSWER: A\n", [(1, "Unfinished?", "no ANSWER: line")]),
    ("Last?\nA) a\nB) b\n", [(1, "Last?", "no ANSWER: line")]),
])
def test_errors_report_line_and_question(text, expected):
    problems = problems_of(text)
    assert [(line, question) for line, question, _message in problems] == [(line, name) for line, name, _ in expected]
    for (_line, _question, message), (_l, _n, words) in zip(problems, expected):
        assert words in message


def test_one_bad_question_imports_nothing():
    text = (FIXTURES / "sample.aiken.txt").read_text(encoding="utf-8") + "\nBroken?\nA) a\nB) b\nANSWER: Z\n"
    assert problems_of(text) == [(15, "Broken?", "ANSWER: Z is not one of the choices A to B.")]
