"""Moodle's Aiken format: single-answer multiple choice, read and written as Moodle's qformat_aiken does.

    What is the capital of France?
    A) Berlin
    B. Paris
    ANSWER: B

The question text is one line; choices are a capital letter, ")" or ".", a space and the
text; "ANSWER: X" ends the question. As in Moodle, texts are stored as HTML (with & < >
escaped). Questions have the multichoice shape of lms.quizzes.gift.
"""
import html
import re

from flask_babel import gettext as _

from lms.quizzes.gift import TAG, Problem, QuestionFileError, default_name, label

CHOICE = re.compile(r"[A-Z][).][ \t]?")
ANSWER = "ANSWER:"
LINE_BREAK = re.compile(r"\r\n|\r|\n")
FORMAT = "html"
MAX_CHOICES = 26


class AikenError(QuestionFileError):
    """An Aiken file with at least one problem."""


def parse(text, default_category=None):
    """The questions of an Aiken file, in file order; raises AikenError listing every problem found."""
    reader = _Reader(default_category)
    for number, line in enumerate(LINE_BREAK.split(text.removeprefix("\ufeff")), 1):
        reader.line(number, line.strip())
    reader.finish()
    if reader.problems:
        raise AikenError(reader.problems)
    return reader.questions


def dump(questions):
    """Aiken text for single-answer multiple choice questions; raises ValueError for any other question."""
    out = []
    for question in questions:
        correct = [index for index, answer in enumerate(question.get("answers", ())) if answer["fraction"] == 1]
        if question["type"] != "multichoice" or not question["single"] or len(correct) != 1 \
                or len(question["answers"]) > MAX_CHOICES:
            raise ValueError(_("Aiken can only hold single-answer multiple choice questions with one correct answer "
                               "and at most %(count)s choices: “%(name)s” is not one.",
                               count=MAX_CHOICES, name=question["name"]))
        text = _plain(question["text"], question["text_format"])
        if len(text) < 2 or CHOICE.match(text) or text.startswith(ANSWER):
            raise ValueError(_("The text of “%(name)s” would not read back as an Aiken question.",
                               name=question["name"]))
        lines = [text]
        for index, answer in enumerate(question["answers"]):
            lines.append(f"{chr(ord('A') + index)}) {_plain(answer['text'], answer['text_format'])}")
        lines.append(f"{ANSWER} {chr(ord('A') + correct[0])}")
        out.append("\n".join(lines) + "\n\n")
    return "".join(out)


def _plain(text, text_format):
    """Text on one line, without markup, as Moodle's Aiken export writes it."""
    if text_format == FORMAT:
        text = html.unescape(TAG.sub(" ", text))
    return " ".join(text.split())


class _Reader:
    def __init__(self, category):
        self.category = category
        self.questions = []
        self.problems = []
        self.open = None  # the question being read, until its ANSWER: line

    def problem(self, line, question, message):
        self.problems.append(Problem(line, question, message))

    def line(self, number, line):
        if len(line) < 2:
            return
        if CHOICE.match(line):
            self.choice(number, line)
        elif line.startswith(ANSWER):
            self.answer(number, line)
        else:
            self.finish()
            self.open = {
                "name": default_name(line),
                "type": "multichoice",
                "text": html.escape(line, quote=False),
                "text_format": FORMAT,
                "general_feedback": "",
                "general_feedback_format": FORMAT,
                "single": True,
                "answers": [],
                "line": number,
            }

    def choice(self, number, line):
        question = self.open
        if question is None:
            self.problem(number, label(line), _("This choice comes before any question text."))
            return
        expected = chr(ord("A") + len(question["answers"]))
        if line[0] != expected:
            self.problem(number, question["name"], _("Choice %(letter)s is out of order: %(expected)s was "
                                                     "expected here.", letter=line[0], expected=expected))
        text = line[2:].strip()
        if not text:
            self.problem(number, question["name"], _("Choice %(letter)s has no text.", letter=line[0]))
        question["answers"].append({"text": html.escape(text, quote=False), "text_format": FORMAT, "fraction": 0.0,
                                    "feedback": "", "feedback_format": FORMAT})

    def answer(self, number, line):
        question, self.open = self.open, None
        if question is None:
            self.problem(number, label(line), _("This ANSWER: line comes before any question text."))
            return
        answers = question["answers"]
        letter = line[len(ANSWER):].strip()[:1]
        index = ord(letter) - ord("A") if letter else -1
        if len(answers) < 2:
            self.problem(number, question["name"], _("A question needs at least two choices before its ANSWER: line."))
        elif not 0 <= index < len(answers):
            self.problem(number, question["name"], _("ANSWER: %(letter)s is not one of the choices A to %(last)s.",
                                                     letter=letter or "-", last=chr(ord("A") + len(answers) - 1)))
        else:
            answers[index]["fraction"] = 1.0
            line_number = question.pop("line")
            if self.category is not None:
                question["category"] = self.category
            question["line"] = line_number
            self.questions.append(question)

    def finish(self):
        """Report a question left without its ANSWER: line (Moodle drops it silently)."""
        if self.open is not None:
            self.problem(self.open["line"], self.open["name"], _("The question has no ANSWER: line."))
            self.open = None
