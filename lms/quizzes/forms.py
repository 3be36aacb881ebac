"""Reading a learner's answers from the attempt form or the autosave JSON, per question type.

The fields follow the attempt's layout, so they cannot be declared on a form class:
`slots` lists the slots the page showed (so a form without them changes nothing),
`slot-<n>` holds the answer to slot n (multichoice answers as the positions SHOWN, which
the services turn back into the question's own indexes), and `slot-<n>-<pair>` the
answer chosen for one sub-question of a matching question. Both paths give the answers
in the shape services.save_answers and grading expect; anything else is an AnswerError.
"""
from flask_babel import gettext as _
from flask_wtf import FlaskForm

MAX_TEXT = 20_000  # characters of one typed answer (essays included)
TRUE_FALSE = {"true": True, "false": False}


class AttemptForm(FlaskForm):
    """The CSRF token of the attempt page's forms (start, save, finish)."""


class AnswerError(ValueError):
    """An answer that does not fit its question; the message is shown to the learner."""


def field_name(slot, pair=None):
    return f"slot-{slot}" if pair is None else f"slot-{slot}-{pair}"


def answers_from_form(layout, questions, form):
    """The answer of every slot the form showed (an unanswered one is None)."""
    shown = set(form.getlist("slots"))
    answers = {}
    for slot, entry in enumerate(layout):
        question = questions[entry["question"]]
        if question.type == "description" or str(slot) not in shown:
            continue
        if question.type == "matching":
            raw = {str(index): form.get(field_name(slot, index), "") for index in sub_questions(question)}
        elif question.type == "multichoice" and not question.data.get("single", True):
            raw = form.getlist(field_name(slot))
        else:
            raw = form.get(field_name(slot))
        answers[slot] = clean_answer(question, entry, raw)
    return answers


def answers_from_json(layout, questions, payload):
    """The answers of an autosave request: {"answers": {"<slot>": value, ...}} with the form's values."""
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        raise AnswerError(_("Send the answers as a JSON object: {\"answers\": {\"0\": ...}}."))
    answers = {}
    for key, raw in payload["answers"].items():
        slot = int(key) if str(key).isdigit() else -1
        if not 0 <= slot < len(layout):
            raise AnswerError(_("There is no question %(slot)s in this attempt.", slot=key))
        question = questions[layout[slot]["question"]]
        if question.type != "description":
            answers[slot] = clean_answer(question, layout[slot], raw)
    return answers


def clean_answer(question, entry, raw):
    """The stored shape of one answer; empty input means unanswered."""
    kind = question.type
    if kind == "multichoice":
        shown = len(entry["order"])
        if question.data.get("single", True):
            return None if raw in (None, "") else position(raw, shown)
        if not isinstance(raw, list):
            raise AnswerError(_("Choose the answers from the list."))
        return sorted({position(value, shown) for value in raw})
    if kind == "truefalse":
        if raw in (None, ""):
            return None
        if isinstance(raw, bool):
            return raw
        if str(raw) not in TRUE_FALSE:
            raise AnswerError(_("Answer true or false."))
        return TRUE_FALSE[str(raw)]
    if kind == "matching":
        return matching_answer(question, raw)
    if raw is None:
        return None
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise AnswerError(_("Type the answer as text."))
    text = str(raw)
    if len(text) > MAX_TEXT:
        raise AnswerError(_("An answer can be at most %(count)d characters long.", count=MAX_TEXT))
    return text if text.strip() else None


def position(value, count):
    index = value if isinstance(value, int) and not isinstance(value, bool) else (int(value) if str(value).isdigit() else -1)
    if not 0 <= index < count:
        raise AnswerError(_("Choose the answers from the list."))
    return index


def sub_questions(question):
    """Indexes of the pairs that ask something (the others only add distractor answers)."""
    return [index for index, pair in enumerate(question.data.get("pairs", [])) if pair["question"]]


def matching_answer(question, raw):
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise AnswerError(_("Choose an answer for each item from the list."))
    asked = {str(index) for index in sub_questions(question)}
    offered = {pair["answer"] for pair in question.data.get("pairs", [])}
    chosen = {}
    for key, value in raw.items():
        if str(key) not in asked or not isinstance(value, str) or (value and value not in offered):
            raise AnswerError(_("Choose an answer for each item from the list."))
        if value:
            chosen[str(key)] = value
    return chosen or None
