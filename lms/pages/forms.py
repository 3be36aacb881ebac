from flask import current_app
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from lms.i18n import LANGUAGE_NAMES


class LanguageForm(FlaskForm):
    language = SelectField(validators=[DataRequired()])
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [(code, LANGUAGE_NAMES[code]) for code in current_app.config["LMS_LANGUAGES"]]
