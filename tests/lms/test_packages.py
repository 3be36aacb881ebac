"""Course packages from the command line: validate, import, re-import, export, list.

Broken packages are made in tmp_path from tests/fixtures/courses/sample-course, one
edit each, and every problem must be reported as `file:line: message` with the line a
person would open the file at. Imports run in the session app (rolled back after each
test); course files land in its instance folder, which is not rolled back, so tests
that check files use a slug of their own.
"""
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.auth.models import User
from lms.courses import packages
from lms.courses.models import Activity, ActivityRevision, Course
from lms.enrollments.models import Enrollment
from lms.enrollments.services import enroll
from lms.extensions import db
from lms.progress.models import COMPLETED, IN_PROGRESS, Progress
from lms.progress.services import progress_of, record
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "courses" / "sample-course"


@pytest.fixture
def package(tmp_path):
    """A writable copy of the sample course."""
    root = tmp_path / "package"
    shutil.copytree(SAMPLE, root)
    return root


def edit(path, old, new, count=1):
    """Replace the `count`-th occurrence of `old` in `path` (failing if it is not there)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path}"
    start = -1
    for _ in range(count):
        start = text.index(old, start + 1)
    path.write_text(text[:start] + new + text[start + len(old):], encoding="utf-8")


def line_of(path, text, count=1):
    """The 1-based line of the `count`-th line of `path` containing `text`."""
    numbers = [number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line]
    assert len(numbers) >= count, f"{text!r} not in {path}"
    return numbers[count - 1]


def validate(runner, path):
    result = runner.invoke(args=["lms", "courses", "validate", str(path)])
    return result.exit_code, result.output.splitlines()


def assert_problem(runner, path, prefix, *fragments):
    """`validate` exits 1 and prints a line starting with `prefix` that contains every fragment."""
    code, lines = validate(runner, path)
    assert code == 1, lines
    matching = [line for line in lines if line.startswith(prefix)]
    assert matching, f"no line starts with {prefix!r}: {lines}"
    assert any(all(fragment in line for fragment in fragments) for line in matching), lines
    assert not any(line.endswith(": OK") for line in lines)
    return lines


# --- validate -------------------------------------------------------------------------


def test_a_valid_package_is_ok(runner, package):
    code, lines = validate(runner, package)
    assert code == 0, lines
    assert lines == [f"{package}: OK"]


def test_missing_manifest(runner, package):
    (package / "course.toml").unlink()
    assert_problem(runner, package, "course.toml:1: ", "no course.toml")


def test_toml_syntax_error_names_its_line(runner, package):
    manifest = package / "course.toml"
    edit(manifest, "hours = 3", "hours = = 3")
    line = line_of(manifest, "hours = = 3")
    assert_problem(runner, package, f"course.toml:{line}: ", "not valid TOML")


def test_missing_lesson_file(runner, package):
    manifest = package / "course.toml"
    (package / "lessons" / "checklist.en.md").unlink()
    (package / "lessons" / "checklist.ru.md").unlink()
    line = line_of(manifest, 'file = "lessons/checklist.md"')
    assert_problem(runner, package, f"course.toml:{line}: ", "lessons/checklist.md is missing")


def test_missing_language_variant_promised_by_languages(runner, package):
    manifest = package / "course.toml"
    (package / "lessons" / "listening.ru.md").unlink()
    line = line_of(manifest, 'file = "lessons/listening.md"')
    assert_problem(runner, package, f"course.toml:{line}: ", "lessons/listening.ru.md is missing", "'ru'")


def test_promising_a_language_without_its_lessons(runner, package):
    manifest = package / "course.toml"
    edit(manifest, 'languages = ["en", "ru"]', 'languages = ["en", "ru", "kk"]')
    code, lines = validate(runner, package)
    assert code == 1
    for slug in ("intro", "listening", "checklist", "further-reading"):
        line = line_of(manifest, f'file = "lessons/{slug}.md"')
        assert f"course.toml:{line}: lessons/{slug}.kk.md is missing: the course promises 'kk' (languages = ['en', 'ru', 'kk'])" in lines


def test_unknown_activity_type_names_the_plugin(runner, package):
    manifest = package / "course.toml"
    edit(manifest, 'type = "lesson"', 'type = "roleplay.scenario"', count=3)
    line = line_of(manifest, 'type = "roleplay.scenario"')
    lines = assert_problem(runner, package, f"course.toml:{line}: ", "'roleplay.scenario'", "plugin named 'roleplay'")
    assert len([entry for entry in lines if "roleplay" in entry]) == 1


def test_duplicate_activity_slug(runner, package):
    manifest = package / "course.toml"
    first = line_of(manifest, 'slug = "intro"')
    edit(manifest, 'slug = "checklist"', 'slug = "intro"')
    second = line_of(manifest, 'slug = "intro"', count=2)
    assert_problem(runner, package, f"course.toml:{second}: ", "duplicate activity slug 'intro'", f"line {first}")


def test_prerequisite_naming_an_unknown_activity(runner, package):
    manifest = package / "course.toml"
    edit(manifest, 'prerequisites = ["listening"]', 'prerequisites = ["role-play"]')
    line = line_of(manifest, 'prerequisites = ["role-play"]')
    assert_problem(runner, package, f"course.toml:{line}: ", "prerequisite 'role-play' of 'checklist'")


def test_prerequisite_cycle(runner, package):
    manifest = package / "course.toml"
    edit(manifest, 'file = "lessons/intro.md"', 'file = "lessons/intro.md"\n  prerequisites = ["checklist"]')
    line = line_of(manifest, 'prerequisites = ["checklist"]')
    lines = assert_problem(runner, package, f"course.toml:{line}: ", "prerequisite cycle: intro -> checklist -> listening -> intro")
    assert len([entry for entry in lines if "cycle" in entry]) == 1


@pytest.mark.parametrize("target", ["../outside.md", "lessons/../../outside.md", "ABSOLUTE"])
def test_a_file_path_that_leaves_the_package(runner, package, target):
    outside = package.parent / "outside.md"
    outside.write_text("# Not part of the course\n", encoding="utf-8")
    target = str(outside) if target == "ABSOLUTE" else target
    manifest = package / "course.toml"
    edit(manifest, 'file = "lessons/checklist.md"', f'file = "{target}"')
    line = line_of(manifest, f'file = "{target}"')
    assert_problem(runner, package, f"course.toml:{line}: ", f"{target} leaves the package")


def test_a_file_over_the_size_limit(app, runner, package, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_COURSE_FILE_MAX_BYTES", 4000)
    (package / "lessons" / "images" / "poster.png").write_bytes(b"\x89PNG" + b"\0" * 5000)
    lines = assert_problem(runner, package, "lessons/images/poster.png:1: ", "over the limit")
    assert len(lines) == 1, lines


def test_a_lesson_image_that_is_not_in_the_package(runner, package):
    lesson = package / "lessons" / "intro.en.md"
    edit(lesson, "images/stages.svg", "images/missing.svg")
    line = line_of(lesson, "images/missing.svg")
    assert_problem(runner, package, f"lessons/intro.en.md:{line}: ", "images/missing.svg is not in the package")


def test_a_missing_kazakh_title(runner, package):
    manifest = package / "course.toml"
    edit(manifest, 'kk = "Сынақ курсы"\n', "")
    edit(manifest, ', kk = "Белсенді тыңдау"', "")
    course_line = line_of(manifest, "[title]")
    activity_line = line_of(manifest, 'title = { en = "Active listening"')
    code, lines = validate(runner, package)
    assert code == 1
    assert f"course.toml:{course_line}: title has no 'kk' text" in lines
    assert f"course.toml:{activity_line}: activity 'listening' title has no 'kk' text" in lines


def test_every_problem_is_reported_at_once(runner, package):
    manifest = package / "course.toml"
    (package / "lessons" / "listening.ru.md").unlink()
    edit(manifest, 'prerequisites = ["listening"]', 'prerequisites = ["nowhere"]')
    edit(manifest, 'type = "lesson"', 'type = "video"', count=4)
    code, lines = validate(runner, package)
    assert code == 1
    assert len(lines) == 3, lines
    assert all(line.startswith("course.toml:") for line in lines)


# --- import ---------------------------------------------------------------------------


def import_cli(runner, path):
    result = runner.invoke(args=["lms", "courses", "import", str(path)])
    return result.exit_code, result.output


def make_own_slug(package, slug):
    edit(package / "course.toml", 'slug = "sample-course"', f'slug = "{slug}"')


def course_files(app):
    return Path(app.instance_path) / "course_files"


def test_importing_a_broken_package_changes_nothing(app, runner, package):
    make_own_slug(package, "broken-course")
    (package / "lessons" / "checklist.ru.md").unlink()
    with app.app_context():
        courses_before = db.session.scalar(select(func.count()).select_from(Course))
    code, output = import_cli(runner, package)
    assert code == 1
    assert "lessons/checklist.ru.md is missing" in output
    with app.app_context():
        assert db.session.scalar(select(Course).where(Course.slug == "broken-course")) is None
        assert db.session.scalar(select(func.count()).select_from(Course)) == courses_before
        assert db.session.scalar(select(func.count()).select_from(Activity).join(Course).where(Course.slug == "broken-course")) == 0
    assert not (course_files(app) / "broken-course").exists()
    assert not list(course_files(app).glob(".staging-*"))


def test_a_broken_new_version_leaves_the_course_as_it_was(app, runner, package):
    make_own_slug(package, "steady-course")
    assert import_cli(runner, package)[0] == 0
    stored = (course_files(app) / "steady-course" / "lessons" / "images" / "stages.svg").read_bytes()
    edit(package / "course.toml", 'version = "1.0.0"', 'version = "1.1.0"')
    edit(package / "lessons" / "intro.en.md", "voluntary process", "compulsory process")
    (package / "lessons" / "images" / "stages.svg").write_text("<svg/>", encoding="utf-8")
    edit(package / "course.toml", 'prerequisites = ["listening"]', 'prerequisites = ["nowhere"]')
    code, output = import_cli(runner, package)
    assert code == 1
    assert "'nowhere'" in output
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "steady-course"))
        assert course.version == "1.0.0"
        intro = db.session.scalar(select(Activity).where(Activity.course_id == course.id, Activity.slug == "intro"))
        assert "voluntary process" in intro.content["en"]
    assert (course_files(app) / "steady-course" / "lessons" / "images" / "stages.svg").read_bytes() == stored


def test_import_creates_the_course_and_its_files(app, runner, package):
    make_own_slug(package, "fresh-course")
    code, output = import_cli(runner, package)
    assert code == 0, output
    assert output.splitlines()[0] == "Created fresh-course 1.0.0"
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "fresh-course"))
        assert course.title["kk"] == "Сынақ курсы"
        assert [module.slug for module in course.modules] == ["basics", "practice"]
        assert [a.slug for m in course.modules for a in m.activities] == ["intro", "listening", "checklist", "further-reading"]
        listening = next(a for a in course.activities if a.slug == "listening")
        assert (listening.weight, listening.prerequisites, listening.settings) == (2, ["intro"], {"completion": "mark"})
        assert listening.content["ru"].startswith("## Слушание")
    assert (course_files(app) / "fresh-course" / "lessons" / "images" / "stages.svg").is_file()
    assert not (course_files(app) / "fresh-course" / "course.toml").exists()
    assert not (course_files(app) / "fresh-course" / "lessons" / "intro.en.md").exists()


def test_the_same_version_again_has_nothing_to_import(runner, package):
    assert import_cli(runner, package)[0] == 0
    code, output = import_cli(runner, package)
    assert code == 0
    assert output.strip() == "sample-course is already at version 1.0.0; nothing to import"


def new_version(package, version="1.1.0"):
    """Bump the version, change the intro, remove further-reading and add a summary lesson."""
    manifest = package / "course.toml"
    edit(manifest, 'version = "1.0.0"', f'version = "{version}"')
    edit(package / "lessons" / "intro.en.md", "voluntary process", "voluntary, confidential process")
    text = manifest.read_text(encoding="utf-8")
    start = text.index('  [[modules.activities]]\n  type = "lesson"\n  slug = "further-reading"')
    text = text[:start] + (
        '  [[modules.activities]]\n  type = "lesson"\n  slug = "summary"\n'
        '  title = { en = "Summary", ru = "Итоги", kk = "Қорытынды" }\n  file = "lessons/summary.md"\n'
    )
    manifest.write_text(text, encoding="utf-8")
    for language in ("en", "ru"):
        (package / "lessons" / f"further-reading.{language}.md").unlink()
    (package / "lessons" / "summary.en.md").write_text("## Summary\n", encoding="utf-8")
    (package / "lessons" / "summary.ru.md").write_text("## Итоги\n", encoding="utf-8")


def test_reimporting_a_newer_version_keeps_progress(app, runner, package, create_user):
    assert import_cli(runner, package)[0] == 0
    learner = create_user()
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "sample-course"))
        activities = {activity.slug: activity for activity in course.activities}
        enrollment = enroll(db.session.get(User, learner.id), course)
        record(enrollment, activities["intro"], COMPLETED)
        record(enrollment, activities["listening"], IN_PROGRESS)
        record(enrollment, activities["further-reading"], COMPLETED)
        db.session.commit()
        ids = {slug: activity.id for slug, activity in activities.items()}
        enrollment_id = enrollment.id

    new_version(package)
    code, output = import_cli(runner, package)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "Updated sample-course from 1.0.0 to 1.1.0"
    assert "  added: summary" in lines
    assert "  updated: intro" in lines
    assert "  archived: further-reading" in lines

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "sample-course"))
        assert course.version == "1.1.0"
        activities = {activity.slug: activity for activity in db.session.scalars(select(Activity).where(Activity.course_id == course.id))}
        assert {slug: activities[slug].id for slug in ids} == ids
        assert "voluntary, confidential process" in activities["intro"].content["en"]
        assert activities["further-reading"].archived is True
        assert activities["summary"].archived is False
        rows = {row.activity_id: row.status for row in db.session.scalars(select(Progress).where(Progress.enrollment_id == enrollment_id))}
        assert rows == {ids["intro"]: COMPLETED, ids["listening"]: IN_PROGRESS, ids["further-reading"]: COMPLETED}
        standing = progress_of([db.session.get(Enrollment, enrollment_id)])[enrollment_id]
        assert [state.activity.slug for state in standing.states] == ["intro", "listening", "checklist", "summary"]
        assert standing.percent == 20  # intro (1) of intro 1 + listening 2 + checklist 1 + summary 1


def test_an_older_version_is_refused(app, runner, package, tmp_path):
    older = tmp_path / "older"
    shutil.copytree(package, older)
    new_version(package)
    assert import_cli(runner, package)[0] == 0
    code, output = import_cli(runner, older)
    assert code == 1
    assert "course.toml:1: version 1.0.0 is older than the installed 1.1.0" in output
    with app.app_context():
        assert db.session.scalar(select(Course.version).where(Course.slug == "sample-course")) == "1.1.0"


def test_an_import_that_replaces_a_browser_edit_says_so(app, runner, package, create_user):
    assert import_cli(runner, package)[0] == 0
    editor = create_user(role="instructor", email="editor@example.kz")
    with app.app_context():
        intro = db.session.scalar(
            select(Activity).join(Course).where(Course.slug == "sample-course", Activity.slug == "intro")
        )
        intro.content = {**intro.content, "en": "## Edited in the browser\n"}
        intro.revision += 1
        db.session.add(
            ActivityRevision(activity_id=intro.id, revision=intro.revision, title=intro.title, content=intro.content,
                             source="browser", author_id=editor.id)
        )
        db.session.commit()
        intro_id, browser_revision = intro.id, intro.revision

    new_version(package)
    code, output = import_cli(runner, package)
    assert code == 0, output
    assert f"replaced browser edit of intro (revision {browser_revision} by editor@example.kz" in output
    assert "kept in history" in output
    with app.app_context():
        revisions = db.session.scalars(
            select(ActivityRevision).where(ActivityRevision.activity_id == intro_id).order_by(ActivityRevision.revision)
        ).all()
        assert [(r.revision, r.source) for r in revisions] == [(1, "package"), (2, "browser"), (3, "package")]
        assert revisions[1].content["en"] == "## Edited in the browser\n"
        assert revisions[2].package_version == "1.1.0"
        assert "voluntary, confidential process" in db.session.get(Activity, intro_id).content["en"]


def test_an_import_over_untouched_content_reports_no_browser_edit(runner, package):
    assert import_cli(runner, package)[0] == 0
    new_version(package)
    code, output = import_cli(runner, package)
    assert code == 0
    assert "browser" not in output


# --- export and list ------------------------------------------------------------------


def snapshot(course):
    """Everything a package carries, in a form two databases can compare."""
    return {
        "course": (course.slug, course.version, course.title, course.description, course.category, course.hours,
                   course.languages, course.enrollment_policy, course.published),
        "modules": [(module.slug, module.title, module.position) for module in course.modules if not module.archived],
        "activities": [
            (module.slug, a.slug, a.type_key, a.title, a.content, a.settings, a.required, a.weight, a.prerequisites,
             a.position)
            for module in course.modules if not module.archived
            for a in module.activities if not a.archived
        ],
    }


def files_of(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("published", [True, False])
def test_export_then_import_round_trips(app, runner, package, tmp_path, build_app, published):
    new_version(package)  # an archived activity must not come back
    make_own_slug(package, "round-trip")
    with app.app_context():
        report = packages.import_package(package, app.extensions["lms_plugins"])
        report.course.published = published
        db.session.commit()
    exported = tmp_path / "exported"
    result = runner.invoke(args=["lms", "courses", "export", "round-trip", str(exported)])
    assert result.exit_code == 0, result.output
    assert "Exported round-trip 1.1.0" in result.output
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "round-trip"))
        original = snapshot(course)

    other = build_app(migrate=True)
    result = other.test_cli_runner().invoke(args=["lms", "courses", "import", str(exported)])
    assert result.exit_code == 0, result.output
    with other.app_context():
        copy = snapshot(db.session.scalar(select(Course).where(Course.slug == "round-trip")))
    assert copy == original
    assert files_of(Path(other.instance_path) / "course_files" / "round-trip") == files_of(
        course_files(app) / "round-trip"
    ) == {"lessons/images/stages.svg": (SAMPLE / "lessons" / "images" / "stages.svg").read_bytes()}


def test_export_of_an_unknown_course(runner, tmp_path):
    result = runner.invoke(args=["lms", "courses", "export", "no-such-course", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "No course 'no-such-course'" in result.output


def test_list_shows_slug_version_state_and_title(app, runner, package):
    assert import_cli(runner, package)[0] == 0
    with app.app_context():
        db.session.add(Course(slug="zz-draft", version="0.2.0", title={"en": "A draft"}, published=False))
        db.session.commit()
    result = runner.invoke(args=["lms", "courses", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "sample-course\t1.0.0\tpublished\tSample course" in lines
    assert "zz-draft\t0.2.0\tdraft\tA draft" in lines
    assert lines.index("sample-course\t1.0.0\tpublished\tSample course") < lines.index("zz-draft\t0.2.0\tdraft\tA draft")


def test_activity_settings_are_checked_by_their_activity_type(runner, package):
    manifest = package / "course.toml"
    edit(manifest, 'completion = "mark"', 'completion = "sometimes"')
    code, lines = validate(runner, package)
    assert code == 1
    assert lines == [f"course.toml:{line_of(manifest, 'completion = ')}: completion must be \"view\" or \"mark\""]


def test_quiz_settings_are_checked_and_toml_dates_are_kept_as_text(app, runner, tmp_path):
    package = tmp_path / "quiz-course"
    shutil.copytree(FIXTURES / "courses" / "quiz-course", package)
    manifest = package / "course.toml"
    edit(manifest, "pass_mark = 60", "pass_mark = 160\ngrading_method = \"best\"\nclose_at = 2030-06-01T18:00:00")
    code, lines = validate(runner, package)
    assert code == 1
    assert lines == [
        f"course.toml:{line_of(manifest, 'pass_mark = ')}: pass_mark must be a percentage from 0 to 100",
        f"course.toml:{line_of(manifest, 'grading_method = ')}: grading_method must be one of highest, average, first, last",
    ]
    edit(manifest, "pass_mark = 160\ngrading_method = \"best\"", "pass_mark = 70")
    code, output = import_cli(runner, package)
    assert code == 0, output
    with app.app_context():
        quiz = db.session.scalar(select(Activity).where(Activity.slug == "basics-quiz"))
        assert quiz.settings["close_at"] == "2030-06-01T18:00:00"
        assert quiz.settings["pass_mark"] == 70
