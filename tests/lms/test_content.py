"""The real courses in courses/: they validate, import, and are offered in the promised languages."""
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.courses import packages
from lms.courses.models import Activity, Course
from lms.extensions import db

COURSES = Path(__file__).resolve().parents[2] / "courses"
FOLDERS = sorted(path.parent for path in COURSES.glob(f"*/{packages.MANIFEST}"))
REQUIRED = {
    "foundations-of-mediation", "interethnic-community-mediation", "peer-mediation-in-schools",
    "workshop-kit-for-associations",
}
COMPLETE_IN_KAZAKH = "peer-mediation-in-schools"
SUBSTANTIAL = 1500  # characters: a lesson, not a placeholder


def manifest(folder):
    return tomllib.loads((folder / packages.MANIFEST).read_text(encoding="utf-8"))


def activities(data):
    return [activity for module in data["modules"] for activity in module["activities"]]


def variant(folder, file, language):
    path = Path(file)
    return folder / path.with_name(f"{path.stem}.{language}{path.suffix}")


def test_the_four_courses_are_there():
    assert REQUIRED <= {folder.name for folder in FOLDERS}


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_package_validates(app, folder):
    with app.app_context():
        spec, problems = packages.read_package(folder, app.extensions["lms_plugins"], app.config["LMS_LANGUAGES"])
    assert problems == [], "\n".join(map(str, problems))
    assert spec.slug == folder.name


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_package_has_english_and_russian_lessons_and_kazakh_titles(folder):
    data = manifest(folder)
    assert {"en", "ru"} <= set(data["languages"])
    for language in ("en", "ru", "kk"):
        assert data["title"][language].strip() and data["description"][language].strip()
        for module in data["modules"]:
            assert module["title"][language].strip(), (module["slug"], language)
            for activity in module["activities"]:
                assert activity["title"][language].strip(), (activity["slug"], language)
    lessons = [activity for activity in activities(data) if activity["type"] == "lesson"]
    assert lessons
    for lesson in lessons:
        for language in ("en", "ru"):
            text = variant(folder, lesson["file"], language).read_text(encoding="utf-8")
            assert len(text) >= SUBSTANTIAL, f"{lesson['file']} ({language}) has only {len(text)} characters"


def test_one_course_is_complete_in_kazakh():
    folder = COURSES / COMPLETE_IN_KAZAKH
    data = manifest(folder)
    assert "kk" in data["languages"]
    for lesson in activities(data):
        text = variant(folder, lesson["file"], "kk").read_text(encoding="utf-8")
        assert len(text) >= SUBSTANTIAL, f"{lesson['file']} (kk) has only {len(text)} characters"


def test_every_course_imports_into_a_fresh_database(build_app):
    fresh = build_app(migrate=True, LMS_COURSES_PATH=str(COURSES))
    result = fresh.test_cli_runner().invoke(args=["lms", "demo"])
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        for folder in FOLDERS:
            data = manifest(folder)
            course = db.session.scalar(select(Course).where(Course.slug == data["slug"]))
            assert course is not None, data["slug"]
            assert (course.version, course.published) == (data["version"], True)
            stored = db.session.scalars(
                select(Activity.slug).where(Activity.course_id == course.id, Activity.archived.is_(False))
            ).all()
            assert sorted(stored) == sorted(activity["slug"] for activity in activities(data))
            lessons = db.session.scalars(
                select(Activity).where(Activity.course_id == course.id, Activity.type_key == "lesson")
            ).all()
            for lesson in lessons:
                assert set(data["languages"]) <= set(lesson.content), lesson.slug
    second = fresh.test_cli_runner().invoke(args=["lms", "demo"])
    assert second.exit_code == 0, second.output
    assert second.output.count("nothing to import") == len(FOLDERS)
