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
    typed = " ".join(str(answer).split())
    return max((item["fraction"] for item in data["answers"] if matches(item["text"], typed)), default=0.0)


def matches(pattern, typed, case_sensitive=False):
    """Moodle's short-answer rule: `*` matches anything, the rest literally, whole answer."""
    expression = ".*".join(re.escape(part) for part in " ".join(pattern.split()).split("*"))
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch(expression, typed, flags) is not None


def numerical(data, answer):
    try:
        value = float(str(answer).strip().replace(",", "."))
    except ValueError:
        return 0.0
    best = None
    for item in data["answers"]:
        if item["value"] == "*":
            continue
        if abs(value - item["value"]) <= (item["tolerance"] or 0) + 1e-12:
            best = max(best if best is not None else -1.0, item["fraction"])
    if best is not None:
        return best
    return next((item["fraction"] for item in data["answers"] if item["value"] == "*"), 0.0)


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
