from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, FloatField, Form, FormField, IntegerField, RadioField, SelectField,
    SelectMultipleField, StringField, TextAreaField,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from lms.courses.models import CATEGORY_LABELS, ENROLLMENT_POLICIES, POLICY_LABELS
from lms.courses.packages import SLUG
from lms.i18n import LANGUAGE_NAMES
from lms.lessons.activity import MARK, VIEW

SLUG_MESSAGE = _l("Use lowercase Latin letters, digits and hyphens, starting with a letter or digit.")
NO_TITLE = _l("Give a title in at least one language.")


def texts_form(name, field_class, max_length=None, **render_kw):
    """A subform with one field per language, whose data is {language: text}."""
    validators = [Optional(), Length(max=max_length)] if max_length else [Optional()]
    fields = {
        code: field_class(language, validators=validators, render_kw=render_kw or None)
        for code, language in LANGUAGE_NAMES.items()
    }
    return type(name, (Form,), fields)


TitleTexts = texts_form("TitleTexts", StringField, max_length=200)
DescriptionTexts = texts_form("DescriptionTexts", TextAreaField, rows=4)
BodyTexts = texts_form("BodyTexts", TextAreaField, rows=16)


def filled(texts):
    """The non-empty texts of a per-language subform, stripped of surrounding blanks."""
    return {code: text.strip() for code, text in (texts or {}).items() if text and text.strip()}


def markdown_text(text):
    """Markdown as typed, with the browser's CRLF line ends made LF as in package files,
    so that an unchanged text compares equal to the file it came from."""
    return (text or "").replace("\r\n", "\n")


class TitledForm(FlaskForm):
    """A form whose `title` needs a text in at least one language."""

    title = FormField(TitleTexts, label=_l("Title"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not filled(self.title.data):
            self.title.form[next(iter(LANGUAGE_NAMES))].errors.append(NO_TITLE)
            return False
        return valid


class CourseForm(TitledForm):
    slug = StringField(
        _l("Address (slug)"),
        validators=[DataRequired(), Length(max=100), Regexp(SLUG, message=SLUG_MESSAGE)],
        description=_l("Part of the course's web address, e.g. conflict-basics. It cannot be changed later."),
    )
    description = FormField(DescriptionTexts, label=_l("Description (Markdown)"))
    category = SelectField(_l("Category"), choices=list(CATEGORY_LABELS.items()))
    hours = FloatField(
        _l("Estimated hours"), default=0,
        validators=[InputRequired(_l("Give the hours, 0 if unknown.")), NumberRange(min=0, max=10000)],
    )
    languages = SelectMultipleField(
        _l("Languages offered"), choices=list(LANGUAGE_NAMES.items()),
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one language."))],
    )
    enrollment_policy = RadioField(
        _l("Enrollment"), choices=[(policy, POLICY_LABELS[policy]) for policy in ENROLLMENT_POLICIES], default="open",
    )
    enrollment_key = StringField(
        _l("Enrollment key"), validators=[Length(max=100)],
        description=_l("Learners type this key to enroll. Needed when enrollment is with a key."),
    )
    published = BooleanField(_l("Published: listed in the catalog and open to learners"))

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.slug

    def validate_enrollment_key(self, field):
        if self.enrollment_policy.data == "key" and not (field.data or "").strip():
            raise ValidationError(_l("Give the key that learners must type to enroll."))

    def settings(self):
        """The course's attributes as the form sets them."""
        return {
            "title": filled(self.title.data),
            "description": filled(self.description.data),
            "category": self.category.data,
            "hours": self.hours.data,
            "languages": [code for code in LANGUAGE_NAMES if code in self.languages.data],
            "enrollment_policy": self.enrollment_policy.data,
            "enrollment_key": (self.enrollment_key.data or "").strip() or None,
            "published": self.published.data,
        }


class ModuleForm(TitledForm):
    """A module's title in each language."""


class LessonForm(TitledForm):
    slug = StringField(
        _l("Address (slug)"),
        validators=[Optional(), Length(max=100), Regexp(SLUG, message=SLUG_MESSAGE)],
        description=_l("Leave empty to make one from the title. It cannot be changed later."),
    )
    body = FormField(BodyTexts, label=_l("Text (Markdown)"))
    shared_body = TextAreaField(
        _l("Text for every language"), validators=[Optional()], render_kw={"rows": 16},
        description=_l("Shown in any language that has no text of its own."),
    )
    module = SelectField(_l("Module"), coerce=int)
    required = BooleanField(_l("Required for completing the course"), default=True)
    weight = FloatField(
        _l("Weight"), default=1, validators=[InputRequired(_l("Give a weight, 0 or more.")), NumberRange(min=0, max=1000)],
        description=_l("How much this lesson counts in the course progress."),
    )
    completion = RadioField(
        _l("Done when"), default=VIEW,
        choices=[(VIEW, _l("the learner opens it")), (MARK, _l("the learner presses “Mark as done”"))],
    )
    prerequisites = SelectMultipleField(
        _l("Prerequisites"), validators=[Optional()], render_kw={"size": 8},
        description=_l("Activities to finish before this lesson opens."),
    )
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def __init__(self, *args, modules=(), prerequisites=(), creating=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.module.choices = [(module.id, module.display_title) for module in modules]
        self.prerequisites.choices = list(prerequisites)
        if creating:
            del self.revision
        else:
            del self.slug

    def content(self):
        """{language: Markdown}, with "*" for the text shared by every language."""
        texts = {**self.body.data, "*": self.shared_body.data}
        return {code: markdown_text(text) for code, text in texts.items() if markdown_text(text).strip()}
