"""Marking one answer to one question, per question type, as Moodle marks it.

`fraction(question, answer)` returns the share of the question's mark earned (0..1), or
None when a person must grade it (essays). Answers are JSON values:
- multichoice single: the index of the chosen answer; several: a list of indexes
- truefalse: true or false
- shortanswer: the text typed
- numerical: the text typed (a number, with "." or "," as decimal separator)
- matching: {pair index (as text): the answer text chosen}
"""
import re

NO_MARK = ("description",)
BY_PERSON = ("essay",)


def fraction(question, answer):
    kind = question.type
    if kind in BY_PERSON:
        return None
    if kind in NO_MARK or answer is None or answer == "" or answer == []:
        return 0.0
    return max(0.0, min(1.0, GRADERS[kind](question.data, answer)))


def multichoice(data, answer):
    answers = data["answers"]
    chosen = answer if isinstance(answer, list) else [answer]
    indexes = {index for index in (to_int(value) for value in chosen) if index is not None and 0 <= index < len(answers)}
    if data.get("single", True):
        return answers[next(iter(indexes))]["fraction"] if len(indexes) == 1 else 0.0
    return sum(answers[index]["fraction"] for index in indexes)


def truefalse(data, answer):
    return 1.0 if answer is data["correct"] or str(answer).lower() == str(data["correct"]).lower() else 0.0


def shortanswer(data, answer):
    item = shortanswer_item(data["answers"], answer)
    return item["fraction"] if item else 0.0


def shortanswer_item(answers, typed):
    """The answer that marks a typed short answer: the best-scoring one it matches (the review shows its feedback)."""
    typed = " ".join(str(typed).split())
    found = [item for item in answers if matches(item["text"], typed)]
    return max(found, key=lambda item: item["fraction"]) if found else None


def matches(pattern, typed, case_sensitive=False):
    """Moodle's short-answer rule: `*` matches anything, the rest literally, whole answer."""
    expression = ".*".join(re.escape(part) for part in " ".join(pattern.split()).split("*"))
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch(expression, typed, flags) is not None


def numerical(data, answer):
    if number(answer) is None:
        return 0.0
    item = numerical_item(data["answers"], answer)
    return item["fraction"] if item else 0.0


def numerical_item(answers, typed):
    """The answer that marks a typed number: the best-scoring one within tolerance, else the first "*" answer.

    Text that is no number falls to "*" here; `numerical` still marks it 0.
    """
    value = number(typed)
    found = [
        item for item in answers
        if item["value"] != "*" and value is not None and abs(value - item["value"]) <= (item["tolerance"] or 0) + 1e-12
    ]
    if found:
        return max(found, key=lambda item: item["fraction"])
    return next((item for item in answers if item["value"] == "*"), None)


def number(typed):
    """The typed number ("." or "," as decimal separator), or None."""
    try:
        return float(str(typed).strip().replace(",", "."))
    except ValueError:
        return None


def matching(data, answer):
    pairs = [pair for pair in data["pairs"] if pair["question"]]
    if not pairs or not isinstance(answer, dict):
        return 0.0
    right = sum(1 for index, pair in enumerate(data["pairs"]) if pair["question"] and answer.get(str(index)) == pair["answer"])
    return right / len(pairs)


def to_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


GRADERS = {
    "multichoice": multichoice,
    "truefalse": truefalse,
    "shortanswer": shortanswer,
    "numerical": numerical,
    "matching": matching,
}
