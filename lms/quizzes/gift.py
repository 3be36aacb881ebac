"""Moodle's GIFT question format, read and written the way Moodle's qformat_gift does.

Trainers bring question banks written for Moodle, so the rules follow Moodle's
question/format/gift/format.php (and its fixture, shared/conformance/gift) rather than
the GIFT documentation. Questions are plain dicts with the field names of
shared/conformance/gift/expected.json, so the quiz models, the JSON export and the tests
share one shape; nothing here touches the database.

Every question has name, type, text, text_format, general_feedback,
general_feedback_format and line (where it starts in the file), "category" when one is
set, and by type:
- multichoice: single, answers [{text, text_format, fraction, feedback, feedback_format}]
- truefalse: correct, feedback_true(_format), feedback_false(_format)
- shortanswer: answers [{text, fraction, feedback, feedback_format}]
- numerical: answers [{value, tolerance, fraction, feedback, feedback_format}], value "*"
  (tolerance None) being the catch-all
- matching: pairs [{question, question_format, answer}], an empty question a distractor
- essay, description: nothing more.
"""
import html
import re
from dataclasses import dataclass

from flask_babel import gettext as _

TYPES = ("multichoice", "truefalse", "shortanswer", "numerical", "matching", "essay", "description")
FORMATS = ("moodle", "html", "plain", "markdown")
DEFAULT_FORMAT = "moodle"
BLANK = "_____"
TRIM = " \t\n\r\0\x0b"  # what PHP's trim() removes, so lines split where Moodle splits them
LINE_BREAK = re.compile(r"\r\n|\r|\n")
ESCAPE = re.compile(r"\\([\\:#={}~n])")
# Escaped characters stand in as Unicode noncharacters while the question is cut up.
PLACEHOLDERS = {":": "\ufdd0", "#": "\ufdd1", "=": "\ufdd2", "{": "\ufdd3", "}": "\ufdd4", "~": "\ufdd5", "n": "\ufdd6"}
RESTORE = str.maketrans({held: "\n" if char == "n" else char for char, held in PLACEHOLDERS.items()})
RESERVED = re.compile("[\ufdd0-\ufdd6]")
SPECIAL = re.compile(r"[\\#=~{}:\n]")
WEIGHT = re.compile(r"%([^%]*)%")
NUMERIC_LOOKING = re.compile(r"[-+]?[\d.,\s]*\d[\d.,\s]*")
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
CATEGORY = "$CATEGORY:"
CATEGORY_SEPARATOR = re.compile(r"(?<!/)/(?!/)")
CONTEXT = re.compile(r"^\$[a-z]+\$$")
TAG = re.compile(r"<[^>]*>")
NAME_LENGTH = 80
LABEL_WORDS = 6


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be imported: where, which question, and what to fix."""

    line: int
    question: str
    message: str

    def __str__(self):
        return _("Line %(line)s, question “%(question)s”: %(message)s",
                 line=self.line, question=self.question, message=self.message)


class QuestionFileError(ValueError):
    """A question file that cannot be imported; `problems` lists every reason, so nothing is imported."""

    def __init__(self, problems):
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


class GiftError(QuestionFileError):
    """A GIFT file with at least one problem."""


def parse(text, default_category=None):
    """The questions of a GIFT file, in file order; raises GiftError listing every problem found.

    Questions before the first $CATEGORY: get `default_category` (no "category" key if None).
    """
    reader = _Reader(default_category)
    reader.read(text)
    if reader.problems:
        raise GiftError(reader.problems)
    return reader.questions


def dump(questions):
    """GIFT text that `parse` reads back to the same dicts (apart from "line")."""
    out, current = [], None
    for question in questions:
        category = question.get("category")
        if category != current:
            if category is None:
                raise ValueError(_("Question “%(name)s” has no category but follows questions that have one; "
                                   "GIFT cannot switch back to no category.", name=question["name"]))
            if "\n" in category or "\r" in category:
                raise ValueError(_("Category “%(category)s” contains a line break.", category=category))
            out.append(f"{CATEGORY} {category.replace(chr(92), chr(92) * 2)}\n\n")
            current = category
        out.append(_write_question(question) + "\n\n")
    return "".join(out)


def category_path(category):
    """The category names below the course's top, e.g. "$course$/top/Module 1/Part 2" -> ["Module 1", "Part 2"].

    Follows Moodle's split_category_path: "/" separates, "//" is a slash inside a name.
    """
    names = [part.replace("//", "/").strip() for part in CATEGORY_SEPARATOR.split(category)]
    if names and CONTEXT.match(names[0]):
        names = names[1:]
        if names and names[0] == "top":
            names = names[1:]
    return [name for name in names if name]


def category_string(names):
    """The $CATEGORY: value Moodle writes for nested category `names` in the course's bank."""
    escaped = []
    for name in names:
        name = name.replace("/", "//")
        escaped.append((" " if name.startswith("/") else "") + name + (" " if name.endswith("/") else ""))
    return "/".join(["$course$", "top", *escaped])


def default_name(text):
    """A name from the question text, as Moodle makes one when the file gives none."""
    plain = " ".join(html.unescape(TAG.sub(" ", text)).split())
    if len(plain) > NAME_LENGTH:
        plain = plain[:NAME_LENGTH].rsplit(" ", 1)[0] + "..."
    return plain or _("Question")


def label(text):
    """The first few words of some text, to say which question a problem is in."""
    words = text.split()
    return " ".join(words[:LABEL_WORDS]) + ("…" if len(words) > LABEL_WORDS else "")


# --- reading ---------------------------------------------------------------------------


class _Reader:
    def __init__(self, category):
        self.category = category
        self.questions = []
        self.problems = []

    def read(self, text):
        text = text.removeprefix("\ufeff")
        for first_line, lines in _blocks(text):
            self.block(first_line, lines)

    def block(self, first_line, lines):
        """One run of non-blank lines: a category switch, a question, or both."""
        text = "\n".join(lines)
        reserved = RESERVED.search(text)
        if reserved:
            line = first_line + text.count("\n", 0, reserved.start())
            self.problems.append(Problem(line, label(text), _("The text contains the reserved character U+%(code)04X.",
                                                              code=ord(reserved.group()))))
            return
        text = ESCAPE.sub(lambda match: "\\" if match[1] == "\\" else PLACEHOLDERS[match[1]], text)
        start = _skip(text, 0)
        if text.startswith(CATEGORY, start):
            start = self.switch_category(text, start, first_line)
        if start < len(text):
            question = _QuestionReader(text, start, first_line, self.problems).read()
            if question is not None:
                if self.category is not None:
                    question["category"] = self.category
                question["line"] = first_line + text.count("\n", 0, start)
                self.questions.append(question)

    def switch_category(self, text, start, first_line):
        """Read the $CATEGORY: line at `start`; returns where the rest of the block starts."""
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        category = text[start + len(CATEGORY):end].translate(RESTORE).strip(TRIM)
        if category:
            self.category = category
        else:
            line = first_line + text.count("\n", 0, start)
            self.problems.append(Problem(line, CATEGORY, _("The category name is missing after $CATEGORY:.")))
        return _skip(text, end)


def _blocks(text):
    """(first line number, lines) for each run of non-blank lines; comment lines become " " as in Moodle."""
    block, first_line = [], 0
    for number, line in enumerate(LINE_BREAK.split(text), 1):
        line = line.strip(TRIM)
        if not line:
            if block:
                yield first_line, block
            block = []
            continue
        if not block:
            first_line = number
        block.append(" " if line.startswith("//") else line)
    if block:
        yield first_line, block


def _skip(text, position):
    """The position of the first character at or after `position` that trim() would keep."""
    while position < len(text) and text[position] in TRIM:
        position += 1
    return position


def _strip(piece, position):
    """`piece` trimmed, with the position of its first kept character."""
    kept = piece.lstrip(TRIM)
    return kept.rstrip(TRIM), (position + len(piece) - len(kept)) if kept else position


def _split(piece, position, separators, kept=""):
    """(part, position) for the parts between separator characters; those in `kept` start their part."""
    parts, begin = [], 0
    for index, char in enumerate(piece):
        if char in separators:
            parts.append((piece[begin:index], position + begin))
            begin = index if char in kept else index + 1
    parts.append((piece[begin:], position + begin))
    return parts


def _formatted(piece, default):
    """(text, format): a leading [html]/[moodle]/[plain]/[markdown] sets the format and is removed."""
    if piece.startswith("["):
        end = piece.find("]")
        if end > 0 and piece[1:end] in FORMATS:
            return piece[end + 1:].translate(RESTORE).strip(TRIM), piece[1:end]
    return piece.translate(RESTORE).strip(TRIM), default


def _number(raw):
    """The float written in `raw` (PHP's is_numeric, without hex or "inf"), or None."""
    raw = raw.strip(TRIM)
    return float(raw) if NUMBER.fullmatch(raw) else None


class _QuestionReader:
    """One question block, cut up as Moodle's readquestion does, collecting problems with line numbers."""

    def __init__(self, text, start, first_line, problems):
        self.text = text
        self.start = start
        self.first_line = first_line
        self.problems = problems
        self.label = label(text[start:].translate(RESTORE))
        self.failed = False

    def fail(self, position, message):
        line = self.first_line + self.text.count("\n", 0, position)
        self.problems.append(Problem(line, self.label, message))
        self.failed = True

    def read(self):
        text, position = self.text, self.start
        end = len(text.rstrip(TRIM))
        name = None
        if text.startswith("::", position):
            close = text.find("::", position + 2, end)
            if close < 0:
                self.fail(position, _("The question name is not closed: write ::name:: before the question text."))
                return None
            name = text[position + 2:close].translate(RESTORE).strip(TRIM)
            self.label = name or self.label
            position = _skip(text, close + 2)
        block = self.answer_block(position, end)
        if self.failed:
            return None
        if block is None:
            question_text, answer, answer_at, feedback = text[position:end], None, end, ""
        else:
            opening, closing = block
            after = "" if closing == end - 1 else BLANK + text[closing + 1:end]
            question_text = text[position:opening] + after
            answer, answer_at = _strip(text[opening + 1:closing], opening + 1)
            feedback = ""
            separator = answer.rfind("####")
            if separator >= 0:
                feedback = answer[separator + 4:]
                answer, answer_at = _strip(answer[:separator], answer_at)
        question_text, text_format = _formatted(question_text, DEFAULT_FORMAT)
        if not question_text:
            self.fail(position, _("The question has no text."))
        feedback, feedback_format = _formatted(feedback, text_format)
        question = {
            "name": name or default_name(question_text),
            "type": None,
            "text": question_text,
            "text_format": text_format,
            "general_feedback": feedback,
            "general_feedback_format": feedback_format,
        }
        question["type"], details = self.answers(answer, answer_at, block, text_format)
        question.update(details)
        return None if self.failed else question

    def answer_block(self, position, end):
        """(opening, closing) positions of the one {...} block, None for a description."""
        text = self.text
        opening, closing = text.find("{", position, end), text.find("}", position, end)
        if opening < 0 and closing < 0:
            return None
        if closing < 0:
            self.fail(opening, _("The answer block opened with { is never closed with }."))
        elif opening < 0 or closing < opening:
            self.fail(closing, _("There is a } without a { before it; write \\} for a literal brace."))
        else:
            nested = text.find("{", opening + 1, closing)
            if nested >= 0:
                self.fail(nested, _("A second { opens before the answer block is closed; "
                                    "write \\{ for a literal brace."))
            extra = min((found for found in (text.find("{", closing + 1, end), text.find("}", closing + 1, end))
                         if found >= 0), default=-1)
            if extra >= 0:
                self.fail(extra, _("A question has one answer block; escape other braces as \\{ and \\}."))
            return opening, closing
        return None

    def answers(self, answer, position, block, text_format):
        """(type, type-specific fields), deciding the type from the answer block as Moodle does."""
        if block is None:
            return "description", {}
        if answer == "":
            return "essay", {}
        if answer.startswith("#"):
            return "numerical", self.numerical(answer[1:], position + 1, text_format, block[0])
        if "~" in answer:
            return "multichoice", self.multichoice(answer, position, text_format, block[0])
        if "=" in answer and "->" in answer:
            return "matching", self.matching(answer, position, text_format, block[0])
        check = answer
        if answer.find("#") > 0:
            check = answer[:answer.find("#")].strip(TRIM)
        if check in TRUE_FALSE:
            return "truefalse", self.truefalse(answer, text_format)
        if check.upper() in TRUE_FALSE:
            self.fail(position, _("A true/false answer must be T, F, TRUE or FALSE in capitals "
                                  "(for a short answer, write {=%(answer)s}).", answer=check))
            return "truefalse", {}
        return "shortanswer", self.shortanswer(answer, position, text_format, block[0])

    def parts(self, answer, position, separators, kept=""):
        """The answer block's parts, trimmed, dropping an empty first part as Moodle does."""
        parts = [_strip(part, at) for part, at in _split(answer, position, separators, kept)]
        return parts[1:] if parts and parts[0][0] == "" else parts

    def weight(self, part, position):
        """(fraction or None, rest of the part) for a leading %weight%."""
        match = WEIGHT.match(part)
        if not match or not NUMERIC_LOOKING.fullmatch(match[1]):
            return None, part
        value = _number(match[1])
        if value is None:
            self.fail(position, _("The weight %(weight)s is not a number.", weight=match[0]))
            return 0.0, part[match.end():]
        if not -100 <= value <= 100:
            self.fail(position, _("The weight %(weight)s is outside -100%% to 100%%.", weight=match[0]))
        return value / 100, part[match.end():]

    def feedback_split(self, part, text_format):
        """(answer text, its format, feedback, its format) from "answer # feedback"."""
        bits = part.split("#", 1)
        text, answer_format = _formatted(bits[0].strip(TRIM), text_format)
        feedback, feedback_format = _formatted(bits[1].strip(TRIM) if len(bits) > 1 else "", text_format)
        return text, answer_format, feedback, feedback_format

    def multichoice(self, answer, position, text_format, opening):
        answers = []
        for part, at in self.parts(answer, position, "~=", kept="="):
            if part.startswith("="):
                fraction, part = 1.0, part[1:]
            else:
                fraction, part = self.weight(part, at)
                fraction = 0.0 if fraction is None else fraction
            text, answer_format, feedback, feedback_format = self.feedback_split(part, text_format)
            if not text:
                self.fail(at, _("An answer is empty."))
            answers.append({"text": text, "text_format": answer_format, "fraction": fraction,
                            "feedback": feedback, "feedback_format": feedback_format})
        single = "=" in answer
        if len(answers) < 2:
            self.fail(opening, _("A multiple choice question needs at least two answers."))
        elif not single:
            total = sum(item["fraction"] for item in answers if item["fraction"] > 0)
            if total == 0:
                self.fail(opening, _("No answer is correct: mark the right one with = "
                                     "or give weights such as %(example)s.", example="%50%"))
            elif round(total, 2) != 1:
                self.fail(opening, _("The positive weights add up to %(total)s%%, not 100%%.", total=_percent(total)))
        return {"single": single, "answers": answers}

    def matching(self, answer, position, text_format, opening):
        pairs = []
        for part, at in self.parts(answer, position, "="):
            arrow = part.find("->")
            if arrow < 0:
                self.fail(at, _("A matching pair must be written as “question -> answer”."))
                continue
            question, question_format = _formatted(part[:arrow], text_format)
            match = part[arrow + 2:].translate(RESTORE).strip(TRIM)
            if not match:
                self.fail(at, _("A matching pair has no answer after ->."))
            pairs.append({"question": question, "question_format": question_format, "answer": match})
        if sum(1 for pair in pairs if pair["question"]) < 2:
            self.fail(opening, _("A matching question needs at least two pairs with a question."))
        return {"pairs": pairs}

    def truefalse(self, answer, text_format):
        bits = answer.split("#", 2) + ["", ""]
        value = _formatted(bits[0].strip(TRIM), text_format)[0]
        wrong = _formatted(bits[1].strip(TRIM), text_format)
        right = _formatted(bits[2].strip(TRIM), text_format)
        correct = TRUE_FALSE[value]
        when_true, when_false = (right, wrong) if correct else (wrong, right)
        return {"correct": correct,
                "feedback_true": when_true[0], "feedback_true_format": when_true[1],
                "feedback_false": when_false[0], "feedback_false_format": when_false[1]}

    def shortanswer(self, answer, position, text_format, opening):
        answers = []
        for part, at in self.parts(answer, position, "="):
            fraction, part = self.weight(part, at)
            fraction = 1.0 if fraction is None else fraction
            text, _format, feedback, feedback_format = self.feedback_split(part, text_format)
            if not text:
                self.fail(at, _("An answer is empty."))
            answers.append({"text": text, "fraction": fraction,
                            "feedback": feedback, "feedback_format": feedback_format})
        self.check_fractions(answers, opening)
        return {"answers": answers}

    def numerical(self, answer, position, text_format, opening):
        tilde = answer.find("~")
        wrong = answer[tilde:] if tilde >= 0 else ""
        answers = []
        for part, at in self.parts(answer[:tilde] if tilde >= 0 else answer, position, "="):
            fraction, part = self.weight(part, at)
            fraction = 1.0 if fraction is None else fraction
            written, _format, feedback, feedback_format = self.feedback_split(part, text_format)
            value, tolerance = self.numerical_value(written, at)
            answers.append({"value": value, "tolerance": tolerance, "fraction": fraction,
                            "feedback": feedback, "feedback_format": feedback_format})
        if wrong:
            bits = wrong.split("#", 1)
            if bits[0][1:].strip(TRIM):
                self.fail(position + tilde, _("In a numerical question, ~ starts the feedback for every other "
                                              "answer: write ~#feedback, without an answer."))
            feedback, feedback_format = _formatted(bits[1].strip(TRIM) if len(bits) > 1 else "", text_format)
            answers.append({"value": "*", "tolerance": None, "fraction": 0.0,
                            "feedback": feedback, "feedback_format": feedback_format})
        if len(answers) == (1 if wrong else 0):
            self.fail(opening, _("A numerical question needs at least one answer after #."))
        else:
            self.check_fractions(answers, opening)
        return {"answers": answers}

    def numerical_value(self, written, position):
        """(value, tolerance) from "3", "3:0.5", "1..5" (midpoint and half-width) or "*"."""
        if written == "*":
            return "*", None
        dots, colon = written.find(".."), written.find(":")
        if dots > 0:
            low, high = _number(written[:dots]), _number(written[dots + 2:])
            if low is None or high is None:
                self.fail(position, _("The range “%(answer)s” must be two numbers, as in 1..5.", answer=written))
                return 0.0, 0.0
            if low > high:
                self.fail(position, _("The range “%(answer)s” starts above its end.", answer=written))
            value = (high + low) / 2
            return value, high - value
        if colon > 0:
            value, tolerance = _number(written[:colon]), _number(written[colon + 1:])
        else:
            value, tolerance = _number(written), 0.0
        if value is None or tolerance is None:
            self.fail(position, _("The numerical answer “%(answer)s” is not a number (write 3, 3:0.5 or 1..5).",
                                  answer=written))
            return 0.0, 0.0
        if tolerance < 0:
            self.fail(position, _("The tolerance in “%(answer)s” is negative.", answer=written))
        return value, tolerance

    def check_fractions(self, answers, opening):
        """Short and numerical answers score 0-100%, and one must score 100% (Moodle's edit form rules)."""
        if any(item["fraction"] < 0 for item in answers):
            self.fail(opening, _("Negative weights are only allowed in multiple choice questions."))
        if not any(item["fraction"] == 1 for item in answers):
            self.fail(opening, _("No answer is worth %(full)s, so nobody could get full marks.", full="100%"))


# --- writing ---------------------------------------------------------------------------


def _escape(text):
    """Text with GIFT's special characters escaped (Moodle's repchar)."""
    return SPECIAL.sub(lambda match: "\\n" if match.group() == "\n" else "\\" + match.group(), text.replace("\r", ""))


def _write_text(text, text_format, default):
    """Text with a [format] marker when it differs from `default`, or when a [ would be mistaken for one."""
    marker = f"[{text_format}]" if text_format != default or text.startswith("[") else ""
    return marker + _escape(text)


def _percent(fraction):
    """A fraction as the shortest percentage that reads back as the same float (%50%, %33.33333%)."""
    for decimals in range(18):
        written = f"{fraction * 100:.{decimals}f}"
        if float(written) / 100 == fraction:
            break
    else:
        written = repr(fraction * 100)
    return "0" if float(written) == 0 else written


def _write_number(value):
    written = repr(float(value))
    return written.removesuffix(".0")


def _write_feedback(feedback, feedback_format, default):
    return "#" + _write_text(feedback, feedback_format, default) if feedback or feedback_format != default else ""


def _write_question(question):
    kind = question["type"]
    if kind not in TYPES:
        raise ValueError(_("Unknown question type “%(type)s”.", type=kind))
    text_format = question["text_format"]
    head = "::" + _escape(question["name"]) + "::" + _write_text(question["text"], text_format, DEFAULT_FORMAT)
    if kind == "description":
        return head
    general = ""
    if question["general_feedback"] or question["general_feedback_format"] != text_format:
        general = "####" + _write_text(question["general_feedback"], question["general_feedback_format"], text_format)
    if kind == "essay":
        return head + "{" + general + "}"
    if kind == "truefalse":
        return head + "{" + _write_truefalse(question, text_format) + general + "}"
    lines = {"multichoice": _write_multichoice, "shortanswer": _write_shortanswer,
             "numerical": _write_numerical, "matching": _write_matching}[kind](question, text_format)
    if general:
        lines.append("\t" + general)
    opening = "{#\n" if kind == "numerical" else "{\n"
    return head + opening + "\n".join(lines) + "\n}"


def _write_truefalse(question, text_format):
    correct = question["correct"]
    true = _write_text(question["feedback_true"], question.get("feedback_true_format", text_format), text_format)
    false = _write_text(question["feedback_false"], question.get("feedback_false_format", text_format), text_format)
    right, wrong = (true, false) if correct else (false, true)
    pieces = ["TRUE" if correct else "FALSE", wrong, right]
    while pieces[-1] == "":
        pieces.pop()
    return "#".join(pieces)


def _write_multichoice(question, text_format):
    answers = question["answers"]
    single = question["single"]
    markers = []
    for answer in answers:
        fraction = answer["fraction"]
        if single and fraction == 1:
            markers.append("=")
        elif fraction == 0 and not answer["text"].startswith("%"):
            markers.append("~")
        else:
            markers.append(f"~%{_percent(fraction)}%")
    if single and not any(marker.startswith("~") for marker in markers):
        markers[-1] = "~%100%"  # without a ~ the block would read as a short answer
    return [
        "\t" + marker + _write_text(answer["text"], answer["text_format"], text_format)
        + _write_feedback(answer["feedback"], answer["feedback_format"], text_format)
        for marker, answer in zip(markers, answers)
    ]


def _write_shortanswer(question, text_format):
    lines = []
    for answer in question["answers"]:
        written = _escape(answer["text"])
        if written.startswith("["):
            written = f"[{DEFAULT_FORMAT}]" + written
        feedback = _write_feedback(answer["feedback"], answer["feedback_format"], text_format)
        if "->" in written + feedback:
            raise ValueError(_("Short answer “%(name)s” contains “->”, which GIFT would read as a matching question.",
                               name=question["name"]))
        lines.append(f"\t=%{_percent(answer['fraction'])}%{written}{feedback}")
    return lines


def _write_numerical(question, text_format):
    lines, answers = [], question["answers"]
    for index, answer in enumerate(answers):
        feedback = _write_feedback(answer["feedback"], answer["feedback_format"], text_format)
        if answer["value"] == "*":
            if index == len(answers) - 1 and answer["fraction"] == 0:
                lines.append("\t~" + (feedback or "#"))
                continue
            written = "*"
        else:
            written = _write_number(answer["value"]) + ":" + _write_number(answer["tolerance"] or 0)
        lines.append(f"\t=%{_percent(answer['fraction'])}%{written}{feedback}")
    return lines


def _write_matching(question, text_format):
    lines = []
    for pair in question["pairs"]:
        if "->" in pair["question"]:
            raise ValueError(_("A matching pair of “%(name)s” has “->” in its question, which GIFT cannot write.",
                               name=question["name"]))
        lines.append("\t=" + _write_text(pair["question"], pair["question_format"], text_format)
                     + " -> " + _escape(pair["answer"]))
    return lines
