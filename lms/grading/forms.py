from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

COMMENT_LENGTH = 5000


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter that changes nothing

    course = SelectField(_l("Course"), default="")
    kind = SelectField(_l("Kind"), default="")

    def __init__(self, courses, kinds, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.course.choices = [("", _l("All courses")), *((str(course.id), course.display_title) for course in courses)]
        self.kind.choices = [("", _l("All kinds")), *((kind.key, kind.title) for kind in kinds)]


class EssayGradeForm(FlaskForm):
    mark = FloatField(_l("Mark"), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=COMMENT_LENGTH)],
                            description=_l("The learner sees it with the grade."))
