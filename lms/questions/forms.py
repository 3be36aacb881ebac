"""Question bank forms: one question form per type, with rows of answers that need no JavaScript.

A form turns what was typed into a dict of the GIFT reader's shape (`item()`); the rules
come from the reader itself (services.checked), so the forms check only what must hold
before a dict can be made: numbers are numbers, choices are choices.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, Form, FormField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from lms.questions.services import CATEGORY_NAME_LENGTH, QUESTION_NAME_LENGTH
from lms.quizzes import gift

TYPE_LABELS = {
    "multichoice": _l("Multiple choice"),
    "truefalse": _l("True/false"),
    "shortanswer": _l("Short answer"),
    "numerical": _l("Numerical"),
    "matching": _l("Matching"),
    "essay": _l("Essay"),
    "description": _l("Description"),
}
FORMAT_LABELS = {
    "moodle": _l("Moodle auto-format"),
    "html": _l("HTML"),
    "plain": _l("Plain text"),
    "markdown": _l("Markdown"),
}
FORMAT_CHOICES = list(FORMAT_LABELS.items())
ROWS = 6  # answer rows on a new question
EXTRA_ROWS = 3  # blank rows after the answers of an existing question
MAX_ROWS = 100
TOP = ""
AUTO = ""


def strip(value):
    return value.strip() if isinstance(value, str) else value


def is_number(form, field):
    """A number as GIFT writes one (no "inf", no hex); blank is allowed."""
    if field.data and not gift.NUMBER.fullmatch(field.data):
        raise ValidationError(_l("Enter a number, such as 50, -33.3 or 1.5e3."))


def is_answer_value(form, field):
    if field.data and field.data != "*" and not gift.NUMBER.fullmatch(field.data):
        raise ValidationError(_l("Enter a number, or * for any other answer."))


def fraction(weight):
    """A weight typed in percent as the share of the mark; blank is 0%."""
    return float(weight) / 100 if weight else 0.0


def percent(value):
    """A share of the mark in percent, written so that it reads back as the same float."""
    return gift._percent(value)


def number_text(value):
    return repr(float(value)).removesuffix(".0")


def format_field(label):
    return SelectField(label, choices=FORMAT_CHOICES, default=gift.DEFAULT_FORMAT)


class Row(Form):
    """One line of answers; lines where nothing is typed are left out."""

    typed = ()  # the fields whose content makes the line count

    def filled(self):
        return any(strip(self[name].data) for name in self.typed)


class ChoiceRow(Row):
    typed = ("text", "weight", "feedback")
    text = TextAreaField(_l("Answer"), render_kw={"rows": 2})
    text_format = format_field(_l("Answer format"))
    weight = StringField(_l("Grade (%)"), filters=[strip], validators=[is_number])
    feedback = TextAreaField(_l("Feedback"), render_kw={"rows": 2})
    feedback_format = format_field(_l("Feedback format"))

    def item(self):
        return {"text": self.text.data, "text_format": self.text_format.data, "fraction": fraction(self.weight.data),
                "feedback": self.feedback.data, "feedback_format": self.feedback_format.data}

    @staticmethod
    def initial(answer):
        return {**answer, "weight": percent(answer["fraction"])}


class ShortAnswerRow(Row):
    typed = ("text", "weight", "feedback")
    text = StringField(_l("Answer"), description=_l("Case does not matter; * stands for any text."))
    weight = StringField(_l("Grade (%)"), filters=[strip], validators=[is_number])
    feedback = TextAreaField(_l("Feedback"), render_kw={"rows": 2})
    feedback_format = format_field(_l("Feedback format"))

    def item(self):
        return {"text": self.text.data, "fraction": fraction(self.weight.data),
                "feedback": self.feedback.data, "feedback_format": self.feedback_format.data}

    @staticmethod
    def initial(answer):
        return {**answer, "weight": percent(answer["fraction"])}


class NumericalRow(Row):
    typed = ("value", "tolerance", "weight", "feedback")
    value = StringField(_l("Answer"), filters=[strip], validators=[is_answer_value],
                        description=_l("A number, or * for any other answer."))
    tolerance = StringField(_l("Accepted error (±)"), filters=[strip], validators=[is_number])
    weight = StringField(_l("Grade (%)"), filters=[strip], validators=[is_number])
    feedback = TextAreaField(_l("Feedback"), render_kw={"rows": 2})
    feedback_format = format_field(_l("Feedback format"))

    def validate_value(self, field):
        if not field.data and self.filled():
            raise ValidationError(_l("Enter the answer: a number, or * for any other answer."))

    def item(self):
        if self.value.data == "*":
            value, tolerance = "*", None
        else:
            value = float(self.value.data)
            tolerance = float(self.tolerance.data) if self.tolerance.data else 0.0
        return {"value": value, "tolerance": tolerance, "fraction": fraction(self.weight.data),
                "feedback": self.feedback.data, "feedback_format": self.feedback_format.data}

    @staticmethod
    def initial(answer):
        if answer["value"] == "*":
            return {**answer, "value": "*", "tolerance": "", "weight": percent(answer["fraction"])}
        return {**answer, "value": number_text(answer["value"]), "tolerance": number_text(answer["tolerance"] or 0),
                "weight": percent(answer["fraction"])}


class PairRow(Row):
    typed = ("question", "answer")
    question = TextAreaField(_l("Question"), render_kw={"rows": 2},
                             description=_l("Leave empty for a wrong answer to choose from."))
    question_format = format_field(_l("Question format"))
    answer = StringField(_l("Matching answer"))

    def item(self):
        return {"question": self.question.data, "question_format": self.question_format.data,
                "answer": self.answer.data}

    @staticmethod
    def initial(pair):
        return dict(pair)


def rows(row_form, label):
    return FieldList(FormField(row_form), label=label, min_entries=ROWS, max_entries=MAX_ROWS)


class QuestionForm(FlaskForm):
    """What every question has; a subclass per type adds its own fields."""

    kind = None
    rows_field = None  # "answers" or "pairs" for the types with rows
    general_feedback_allowed = True

    category = SelectField(_l("Category"), coerce=int)
    name = StringField(_l("Name"), filters=[strip], validators=[Length(max=QUESTION_NAME_LENGTH)],
                       description=_l("Only staff see it. When empty, the start of the question text."))
    text = TextAreaField(_l("Question text"), validators=[DataRequired(message=_l("The question has no text."))],
                         render_kw={"rows": 5})
    text_format = SelectField(_l("Text format"), choices=FORMAT_CHOICES, default=gift.DEFAULT_FORMAT,
                              description=_l("Moodle auto-format and HTML allow simple HTML; Markdown: **bold**, "
                                             "*italic*, lists, links. Scripts and unsafe HTML are removed before "
                                             "anyone sees the text."))
    general_feedback = TextAreaField(_l("General feedback"), render_kw={"rows": 2},
                                     description=_l("Shown after answering, whatever the answer."))
    general_feedback_format = format_field(_l("General feedback format"))

    def __init__(self, nodes, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [(node.category.id, node.label) for node in nodes]
        self.problems = []  # the GIFT reader's messages about the question as a whole
        self.row_problems = {}  # row index: its messages

    def item(self):
        """The question as a dict of the GIFT reader's shape."""
        general = (self.general_feedback.data, self.general_feedback_format.data) if self.general_feedback_allowed \
            else ("", self.text_format.data)
        return {
            "name": self.name.data or "",
            "type": self.kind,
            "text": self.text.data,
            "text_format": self.text_format.data,
            "general_feedback": general[0],
            "general_feedback_format": general[1],
            **self.details(),
        }

    def details(self):
        return {}

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.rows_field and not self.filled_rows():
            self.problems.append(_l("Fill in at least one row."))
            return False
        return valid

    def filled_rows(self):
        """(row index, row) of the rows with something typed in."""
        return [(index, entry.form) for index, entry in enumerate(self[self.rows_field].entries) if entry.form.filled()]

    def show_problems(self, problems):
        """Put each of the reader's problems next to its row (line n + 1 is row n) or the whole question."""
        indexes = [index for index, _row in self.filled_rows()] if self.rows_field else []
        for problem in problems:
            position = problem.line - 2
            if 0 <= position < len(indexes):
                self.row_problems.setdefault(indexes[position], []).append(problem.message)
            else:
                self.problems.append(problem.message)

    @classmethod
    def initial(cls, item, category_id):
        """Form data for an existing question's dict."""
        return {**item, "category": category_id}

    @classmethod
    def blank(cls, category_id):
        return {"category": category_id}


class RowsForm(QuestionForm):
    row_form = None

    def details(self):
        return {self.rows_field: [row.item() for _index, row in self.filled_rows()]}

    @classmethod
    def initial(cls, item, category_id):
        existing = [cls.row_form.initial(row) for row in item[cls.rows_field]]
        return {**item, "category": category_id, cls.rows_field: existing + [{}] * EXTRA_ROWS}


class AnswersForm(RowsForm):
    """Question types whose rows are answers; a new one starts with a row worth 100%."""

    @classmethod
    def blank(cls, category_id):
        return {"category": category_id, "answers": [{"weight": "100"}]}


class MultichoiceForm(AnswersForm):
    kind, rows_field, row_form = "multichoice", "answers", ChoiceRow
    single = SelectField(_l("Answers"), choices=[("one", _l("One answer only")), ("several", _l("Several answers"))],
                         description=_l("With several answers, the positive grades add up to 100%; "
                                        "negative grades take marks away."))
    answers = rows(ChoiceRow, _l("Choices"))

    def details(self):
        return {"single": self.single.data == "one", **super().details()}

    @classmethod
    def initial(cls, item, category_id):
        return {**super().initial(item, category_id), "single": "one" if item["single"] else "several"}


class ShortAnswerForm(AnswersForm):
    kind, rows_field, row_form = "shortanswer", "answers", ShortAnswerRow
    answers = rows(ShortAnswerRow, _l("Accepted answers"))


class NumericalForm(AnswersForm):
    kind, rows_field, row_form = "numerical", "answers", NumericalRow
    answers = rows(NumericalRow, _l("Accepted answers"))


class MatchingForm(RowsForm):
    kind, rows_field, row_form = "matching", "pairs", PairRow
    pairs = rows(PairRow, _l("Pairs"))


class TrueFalseForm(QuestionForm):
    kind = "truefalse"
    correct = SelectField(_l("Correct answer"), choices=[("true", _l("True")), ("false", _l("False"))])
    feedback_true = TextAreaField(_l("Feedback for the answer “True”"), render_kw={"rows": 2})
    feedback_true_format = format_field(_l("Its format"))
    feedback_false = TextAreaField(_l("Feedback for the answer “False”"), render_kw={"rows": 2})
    feedback_false_format = format_field(_l("Its format"))

    def details(self):
        return {"correct": self.correct.data == "true",
                "feedback_true": self.feedback_true.data, "feedback_true_format": self.feedback_true_format.data,
                "feedback_false": self.feedback_false.data, "feedback_false_format": self.feedback_false_format.data}

    @classmethod
    def initial(cls, item, category_id):
        return {**item, "category": category_id, "correct": "true" if item["correct"] else "false"}


class EssayForm(QuestionForm):
    kind = "essay"


class DescriptionForm(QuestionForm):
    """Text without an answer; GIFT has no place for its general feedback, so it has none."""

    kind = "description"
    general_feedback_allowed = False


QUESTION_FORMS = {form.kind: form for form in (
    MultichoiceForm, TrueFalseForm, ShortAnswerForm, NumericalForm, MatchingForm, EssayForm, DescriptionForm)}


def category_choices(nodes, empty_label):
    return [(TOP, empty_label), *((str(node.category.id), node.label) for node in nodes)]


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=CATEGORY_NAME_LENGTH)])
    parent = SelectField(_l("Inside"))

    def __init__(self, nodes, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent.choices = category_choices(nodes, _l("The top of the bank"))


class MoveQuestionsForm(FlaskForm):
    questions = SelectMultipleField(_l("Questions"), coerce=int, validate_choice=False)
    target = SelectField(_l("Move the selected questions to"), coerce=int)

    def __init__(self, nodes, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.target.choices = [(node.category.id, node.label) for node in nodes]


class ActionForm(FlaskForm):
    """A CSRF-protected button: delete a category."""


class ImportForm(FlaskForm):
    file = FileField(_l("Question file"), validators=[FileRequired()],
                     description=_l("GIFT (.gift or .txt, as Moodle exports it) or Aiken (.aiken.txt)."))
    file_format = SelectField(_l("Format"), choices=[(AUTO, _l("From the file name")), ("gift", "GIFT"),
                                                     ("aiken", "Aiken")], default=AUTO)
    category = SelectField(_l("Category"),
                           description=_l("For the questions the file does not put in a category ($CATEGORY:)."))

    def __init__(self, nodes, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices(nodes, _l("A new category named after the file"))
