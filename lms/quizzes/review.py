"""What the review of a quiz attempt shows, apart from any request or output format.

The quiz pages (HTML) and the API (JSON) both show reviews; they share this module so
that a learner sees the same reveals, outcomes, right answers and feedback through
either, and so that the review names the answer grading actually used.
"""
import math

from lms.quizzes import grading, services

REVIEW_KINDS = ("score", "correct", "feedback")
FULL_MARK = 0.9999  # fractions such as 3 x 33.333% add up to just under 1 and still count as right


def reveals(activity, now, staff=False):
    """{"score", "correct", "feedback": bool}: what the quiz's review options show now.

    Staff see everything, so they can check any attempt; a learner sees what the options
    allow, "after_close" only once the close date has passed (a quiz without one never closes).
    """
    if staff:
        return dict.fromkeys(REVIEW_KINDS, True)
    settings = services.settings_of(activity)
    closed = bool(settings["close_at"]) and now > services.parse_time(settings["close_at"])
    return {
        kind: settings[f"review_{kind}"] == "immediately" or (settings[f"review_{kind}"] == "after_close" and closed)
        for kind in REVIEW_KINDS
    }


def outcome(fraction):
    """"right", "partial", "wrong" or "pending" (a person has yet to grade it): one rule for every view."""
    if fraction is None:
        return "pending"
    return "right" if fraction >= FULL_MARK else ("partial" if fraction > 0 else "wrong")


def marked_items(question, answer):
    """The stored answer items a response chose or matched, so feedback is the one grading used.

    Short answer and numerical ask grading which answer marked the text; a true/false
    question keeps its feedback per side, returned here in the same item shape.
    """
    data = question.data
    if answer is None or answer == "" or answer == []:
        return []
    if question.type == "multichoice":
        picked = answer if isinstance(answer, list) else [answer]
        return [data["answers"][index] for index in picked if isinstance(index, int) and 0 <= index < len(data["answers"])]
    if question.type == "truefalse":
        key = "feedback_true" if grading.truefalse({"correct": True}, answer) else "feedback_false"
        return [{"feedback": data.get(key, ""), "feedback_format": data.get(f"{key}_format", "moodle")}]
    if question.type == "shortanswer":
        item = grading.shortanswer_item(data["answers"], answer)
    elif question.type == "numerical":
        item = grading.numerical_item(data["answers"], answer)
    else:
        return []
    return [item] if item else []


def answer_feedback(question, answer):
    """The author's feedback on the answer given, as [(text, format)]; callers render it."""
    return [
        (item["feedback"], item.get("feedback_format", "moodle"))
        for item in marked_items(question, answer) if item.get("feedback")
    ]


def top_answers(items):
    """The answers sharing the highest fraction, in the author's order: the right answer(s) to show."""
    best = max((item["fraction"] for item in items), default=None)
    return [item for item in items if item["fraction"] == best]


def exact_answers(answers):
    """Numerical answers with a value (the "*" catch-all is never a right answer)."""
    return [item for item in answers if item["value"] != "*"]


def right_positions(order, answers):
    """Shown positions of the multichoice answers that earn marks."""
    return [shown for shown, original in enumerate(order) if answers[original]["fraction"] > 0]


def correct_answer(question, order):
    """The right answer in the shape a learner answers with (multichoice by shown position)."""
    data = question.data
    if question.type == "multichoice":
        order = shown_order(order, len(data["answers"]))
        if data.get("single", True):
            fractions = [data["answers"][index]["fraction"] for index in order]
            return fractions.index(max(fractions))
        return right_positions(order, data["answers"])
    if question.type == "truefalse":
        return data["correct"]
    if question.type == "shortanswer":
        best = top_answers(data["answers"])
        return best[0]["text"] if best else None
    if question.type == "numerical":
        best = top_answers(exact_answers(data["answers"]))
        return {"value": best[0]["value"], "tolerance": best[0]["tolerance"] or 0} if best else None
    if question.type == "matching":
        return {str(index): pair["answer"] for index, pair in enumerate(data["pairs"]) if pair["question"]}
    return None


def shown_order(order, count):
    """Answer indexes in the order the attempt shows them; an answer added since is left out."""
    return [index for index in order if index < count] or list(range(count))


def shown_positions(order, stored):
    """A stored multichoice answer (the question's own indexes) as the positions the learner saw."""
    if stored is None:
        return None
    positions = [order.index(index) for index in (stored if isinstance(stored, list) else [stored]) if index in order]
    return sorted(positions) if isinstance(stored, list) else (positions[0] if positions else None)


def seconds_left(attempt, now):
    """Whole seconds until the deadline by the server's clock (rounded up, 0 once closed); None without a limit.

    The server's clock decides, so a page's timer is only a display of this.
    """
    if attempt.deadline_at is None:
        return None
    if attempt.state not in services.OPEN:
        return 0
    return max(0, math.ceil((attempt.deadline_at - now).total_seconds()))
