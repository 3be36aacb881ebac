"""`flask lms questions import|export`: Moodle's GIFT fixture gives exactly the expected JSON and
round-trips through GIFT into another course; a file with an error imports nothing."""
import itertools
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes.models import Question, QuestionCategory
from tests.conftest import FIXTURES, same

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = Path(os.environ.get("LMS_CONFORMANCE_DIR") or ROOT.parent / "shared" / "conformance") / "gift"
DOCUMENTATION_KEYS = {"evidence", "note"}
# Fields of the export beyond expected.json: the category, and the formats of true/false feedback.
EXTRA_KEYS = {"category", "feedback_true_format", "feedback_false_format"}
SLUGS = itertools.count(1)


def make_course(app):
    slug = f"cli-bank-{next(SLUGS)}"
    with app.app_context():
        db.session.add(Course(slug=slug, title={"en": slug}, description={}, languages=["en"]))
        db.session.commit()
    return slug


def question_count(app, slug):
    with app.app_context():
        return db.session.scalar(select(func.count(Question.id)).join(Course, Question.course_id == Course.id)
                                 .where(Course.slug == slug))


def category_paths(app, slug):
    with app.app_context():
        categories = db.session.scalars(select(QuestionCategory).join(Course).where(Course.slug == slug)).all()
        names = {category.id: category for category in categories}

        def path(category):
            return (path(names[category.parent_id]) if category.parent_id else ()) + (category.name,)

        return sorted(path(category) for category in categories)


def run(runner, *args):
    return runner.invoke(args=["lms", "questions", *args])


def export_json(runner, slug):
    result = run(runner, "export", "--course", slug, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def conformance():
    if not CONFORMANCE.is_dir():
        pytest.skip(f"The shared GIFT conformance folder {CONFORMANCE} does not exist (set LMS_CONFORMANCE_DIR).")
    return CONFORMANCE / "questions.gift.txt", json.loads((CONFORMANCE / "expected.json").read_text(encoding="utf-8"))


def test_moodle_fixture_round_trips_through_json_and_gift(app, runner, tmp_path, conformance):
    source, expected = conformance
    first = make_course(app)
    result = run(runner, "import", str(source), "--course", first, "--category", "Moodle")
    assert result.exit_code == 0, result.output
    assert f"Imported 9 questions into {first}:" in result.output
    assert "  Moodle: 9" in result.output

    exported = export_json(runner, first)
    assert len(exported) == len(expected)
    for index, (question, wanted) in enumerate(zip(exported, expected)):
        wanted = {key: value for key, value in wanted.items() if key not in DOCUMENTATION_KEYS}
        for key, value in wanted.items():
            assert same(question.get(key), value), (index, wanted["name"], key, question.get(key), value)
        assert set(question) - set(wanted) <= EXTRA_KEYS, (index, set(question) - set(wanted))
        assert question["category"] == "$course$/top/Moodle"

    gift_file = tmp_path / "bank.gift"
    result = run(runner, "export", "--course", first, "--format", "gift", "--out", str(gift_file))
    assert result.exit_code == 0, result.output
    assert f"Exported 9 questions of {first} to {gift_file}" in result.output
    second = make_course(app)
    result = run(runner, "import", str(gift_file), "--course", second)
    assert result.exit_code == 0, result.output
    assert "  Moodle: 9" in result.output  # the file's $CATEGORY wins over the file name
    assert export_json(runner, second) == exported
    assert category_paths(app, second) == [("Moodle",)]


def test_the_format_and_the_category_come_from_the_file_name(app, runner):
    slug = make_course(app)
    result = run(runner, "import", str(FIXTURES / "questions" / "sample.aiken.txt"), "--course", slug)
    assert result.exit_code == 0, result.output
    assert "Imported 2 questions" in result.output and "  sample: 2" in result.output
    result = run(runner, "import", str(FIXTURES / "questions" / "all-types.gift"), "--course", slug,
                 "--category", "Imported/All types")
    assert result.exit_code == 0, result.output
    assert "  Module 1: " in result.output and "  Module 1 / Law / and order: " in result.output
    # every question of all-types.gift names its category, so --category is not needed
    assert category_paths(app, slug) == [("Module 1",), ("Module 1", "Law / and order"), ("sample",)]
    items = export_json(runner, slug)
    assert [item["category"] for item in items[-2:]] == ["$course$/top/sample"] * 2
    assert [item["type"] for item in items[-2:]] == ["multichoice", "multichoice"]
    assert items[0]["category"] == "$course$/top/Module 1"


def test_a_category_option_nests_with_slashes(app, runner, tmp_path):
    slug = make_course(app)
    path = tmp_path / "plain.gift"
    path.write_text("::One::Is this fine?{T}\n\n::Two::Why?{}\n", encoding="utf-8")
    result = run(runner, "import", str(path), "--course", slug, "--category", "Module 2/Ethics")
    assert result.exit_code == 0, result.output
    assert "  Module 2 / Ethics: 2" in result.output
    assert category_paths(app, slug) == [("Module 2",), ("Module 2", "Ethics")]
    aiken = run(runner, "import", str(path), "--course", slug, "--format", "aiken")
    assert aiken.exit_code == 1  # read as Aiken, the GIFT file makes no sense
    assert question_count(app, slug) == 2


def test_a_file_with_errors_imports_nothing_and_says_where(app, runner, tmp_path):
    slug = make_course(app)
    path = tmp_path / "broken.gift"
    path.write_text("::Fine::Is this fine?{T}\n\n// comment\n::Broken::Who decides?{=The parties ~The mediator\n\n"
                    "::Weights::Which?{~%50%a ~%60%b}\n", encoding="utf-8")
    result = run(runner, "import", str(path), "--course", slug)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f'{path}:4: question "Broken": The answer block opened with {{')
    assert lines[1] == f'{path}:6: question "Weights": The positive weights add up to 110%, not 100%.'
    assert question_count(app, slug) == 0
    assert category_paths(app, slug) == []


def test_unknown_courses_and_unreadable_files_are_refused(app, runner, tmp_path):
    path = tmp_path / "latin1.gift"
    path.write_bytes("::Q::Qué?{T}".encode("latin-1"))
    assert "No course 'nope'." in run(runner, "import", str(path), "--course", "nope").output
    assert "No course 'nope'." in run(runner, "export", "--course", "nope", "--format", "gift").output
    slug = make_course(app)
    result = run(runner, "import", str(path), "--course", slug)
    assert result.exit_code == 1 and "not UTF-8" in result.output
    assert run(runner, "export", "--course", slug, "--format", "xml").exit_code == 2


def test_an_empty_bank_exports_nothing(app, runner):
    slug = make_course(app)
    assert export_json(runner, slug) == []
    result = run(runner, "export", "--course", slug, "--format", "gift")
    assert result.exit_code == 0 and result.output == ""


def test_names_too_long_for_the_database_refuse_the_whole_file(app, runner, tmp_path):
    slug = make_course(app)
    path = tmp_path / "long.gift"
    path.write_text(f"::{'n' * 300}::Why?{{}}\n\n$CATEGORY: {'c' * 201}\n\n::Fine::Why?{{}}\n", encoding="utf-8")
    result = run(runner, "import", str(path), "--course", slug)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path}:1: question ") and lines[0].endswith("longer than 255 characters.")
    assert lines[1] == f'{path}:5: question "Fine": A category name is longer than 200 characters.'
    assert question_count(app, slug) == 0
