"""An instructor teaches in Chromium: edits a lesson, builds and publishes a course, reads the report.

The live server's demo data imports tests/fixtures/courses and makes the demo
instructor (whose language is Russian) an instructor of every imported course. Each
test makes its own trainees and its own course, so the tests do not depend on each other.
"""
import re
import uuid

import pytest
from playwright.sync_api import expect

from lms.cli import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.e2e.conftest import TRAINEE_PASSWORD, add_trainee, sign_in

pytestmark = pytest.mark.e2e

INSTRUCTOR_EMAIL, _NAME, _ROLE, INSTRUCTOR_LOCALE = DEMO_ACCOUNTS[1]


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_trainee(live_server):
    """Factory: a new trainee account (English by the browser) with a unique email; returns (email, name)."""

    def make_trainee():
        token = uuid.uuid4().hex[:8]
        email, name = f"trainee-{token}@example.kz", f"Trainee {token}"
        add_trainee(live_server, email, name)
        return email, name

    return make_trainee


@pytest.fixture
def instructor_text(live_server):
    """A message as the instructor's pages show it (in the instructor's own language)."""
    return lambda message, **variables: live_server.text(INSTRUCTOR_LOCALE, message, **variables)


@pytest.fixture
def text(live_server):
    return lambda message, **variables: live_server.text("en", message, **variables)


def instructor_page(new_context):
    page = new_context().new_page()
    sign_in(page, INSTRUCTOR_EMAIL, DEMO_PASSWORD)
    return page


def trainee_page(new_context, email):
    page = new_context().new_page()
    sign_in(page, email, TRAINEE_PASSWORD)
    return page


def enroll(page, slug, title, text):
    page.goto(f"/courses/{slug}")
    page.get_by_role("button", name=text("Enroll"), exact=True).click()
    expect(page.locator(".flash")).to_have_text(text("You are enrolled in %(title)s.", title=title))


def test_instructor_edits_previews_and_saves_a_lesson(new_context, make_trainee, text, instructor_text):
    sentence = f"Also read the mediation act ({unique('edit')})."
    page = instructor_page(new_context)
    page.goto("/courses/sample-course")
    page.locator("nav.staff-links").get_by_role("link", name=instructor_text("Edit course")).click()
    expect(page).to_have_url(re.compile(r"/authoring/courses/sample-course$"))
    page.locator("ol.outline").get_by_role("link", name="Дополнительное чтение", exact=True).click()
    expect(page).to_have_url(re.compile(r"/authoring/courses/sample-course/activities/\d+$"))

    body = page.locator("textarea[name='body-en']")
    expect(body).to_contain_text("Books.")
    revision = int(page.locator("input[name=revision]").input_value())
    body.fill(body.input_value().rstrip() + "\n\n" + sentence.replace("mediation act", "**mediation act**") + "\n")

    page.get_by_role("button", name=instructor_text("Preview"), exact=True).click()
    preview = page.locator("section.preview article").filter(has=page.locator("h3", has_text="English"))
    expect(preview.locator(".lesson")).to_contain_text(sentence)
    expect(preview.locator(".lesson strong")).to_have_text("mediation act")
    expect(page.locator("section.preview")).to_contain_text(
        instructor_text("Not saved yet. This is how learners will see the text.")
    )
    expect(body).to_have_value(re.compile(re.escape("**mediation act**")))  # the typed text is kept for saving

    page.get_by_role("button", name=instructor_text("Save"), exact=True).click()
    expect(page.locator(".flash")).to_have_text(
        instructor_text("The lesson has been saved (revision %(revision)d).", revision=revision + 1)
    )
    expect(page.locator("section.preview")).to_have_count(0)
    expect(page.locator("input[name=revision]")).to_have_value(str(revision + 1))

    email, _name = make_trainee()
    learner = trainee_page(new_context, email)
    enroll(learner, "sample-course", "Sample course", text)
    learner.locator("ol.activities").get_by_role("link", name="Further reading", exact=True).click()
    expect(learner).to_have_url(re.compile(r"/courses/sample-course/a/further-reading$"))
    expect(learner.locator(".lesson")).to_contain_text("Books.")
    expect(learner.locator(".lesson")).to_contain_text(sentence)
    expect(learner.locator(".lesson strong")).to_have_text("mediation act")


def test_instructor_builds_publishes_and_unpublishes_a_course(new_context, make_trainee, text, instructor_text):
    slug = unique("e2e-course")
    title = f"Negotiation workshop {slug[-8:]}"
    page = instructor_page(new_context)
    page.locator("header nav").get_by_role("link", name=instructor_text("Courses")).click()
    page.locator("main").get_by_role("link", name=instructor_text("New course"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/authoring/new$"))
    form = page.locator("main form.authoring-form")
    form.locator("input[name=slug]").fill(slug)
    form.locator("input[name='title-en']").fill(title)
    form.locator("textarea[name='description-en']").fill("Practice for **negotiators**.")
    form.locator("input[name=languages][value=en]").check()
    expect(form.locator("input[name=published]")).not_to_be_checked()
    form.get_by_role("button", name=instructor_text("Create the course"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/authoring/courses/{slug}$"))
    expect(page.locator(".flash")).to_have_text(
        instructor_text("The course has been created. Now add its modules and lessons.")
    )
    expect(page.locator("main h1")).to_have_text(title)
    expect(page.locator("main .heading-row .badge")).to_have_text(instructor_text("Draft"))

    new_module = page.locator("#new-module")
    new_module.locator("input[name='title-en']").fill("Preparing")
    new_module.get_by_role("button", name=instructor_text("Add the module"), exact=True).click()
    expect(page.locator(".flash")).to_have_text(instructor_text("The module has been added."))
    module = page.locator("section.module").filter(has=page.locator("h3", has_text="1. Preparing"))
    module.get_by_role("link", name=instructor_text("Add a lesson"), exact=True).click()
    lesson_form = page.locator("main form.authoring-form")
    lesson_form.locator("input[name='title-en']").fill("Opening statements")
    lesson_form.locator("textarea[name='body-en']").fill("## Why it matters\n\nThe opening sets the tone.\n")
    lesson_form.get_by_role("button", name=instructor_text("Add the lesson"), exact=True).click()
    expect(page.locator(".flash")).to_have_text(instructor_text("The lesson has been added."))
    expect(page.locator("main h1")).to_have_text("Opening statements")

    page.locator("nav.breadcrumbs").get_by_role("link", name=title).click()
    expect(page.locator("ol.outline")).to_contain_text("Opening statements")
    page.get_by_role("button", name=instructor_text("Publish"), exact=True).click()
    expect(page.locator(".flash")).to_have_text(
        instructor_text("The course is published: it is in the catalog and open to learners.")
    )
    expect(page.locator("main .heading-row .status")).to_have_text(instructor_text("Published"))

    email, _name = make_trainee()
    learner = trainee_page(new_context, email)
    learner.locator("header nav").get_by_role("link", name=text("Courses")).click()
    expect(learner).to_have_url(re.compile(r"/courses/$"))
    learner.locator("main .course-list").get_by_role("link", name=title, exact=True).click()
    expect(learner).to_have_url(re.compile(rf"/courses/{slug}$"))
    expect(learner.locator("main .description strong")).to_have_text("negotiators")
    enroll(learner, slug, title, text)
    learner.locator("ol.activities").get_by_role("link", name="Opening statements", exact=True).click()
    expect(learner.locator(".lesson h2")).to_have_text("Why it matters")

    page.get_by_role("button", name=instructor_text("Unpublish"), exact=True).click()
    expect(page.locator(".flash")).to_have_text(
        instructor_text("The course is unpublished: only its staff can see it.")
    )
    expect(page.locator("main .heading-row .badge")).to_have_text(instructor_text("Draft"))

    learner.goto("/courses/")
    expect(learner.locator("main h1")).to_have_text(text("Courses"))
    expect(learner.locator("main .course-list").get_by_role("link", name="Sample course", exact=True)).to_be_visible()
    expect(learner.locator("main .course-list").get_by_role("link", name=title)).to_have_count(0)
    response = learner.goto(f"/courses/{slug}")
    assert response.status == 404


def test_instructor_report_shows_a_trainee_and_exports_csv(new_context, make_trainee, text, instructor_text):
    email, name = make_trainee()
    learner = trainee_page(new_context, email)
    enroll(learner, "sample-course", "Sample course", text)
    learner.locator("ol.activities").get_by_role("link", name="Introduction", exact=True).click()
    expect(learner.locator("main h1")).to_have_text("Introduction")
    learner.goto("/courses/sample-course")
    expect(learner.locator("main progress")).to_have_attribute("value", "25")

    page = instructor_page(new_context)
    page.goto("/courses/sample-course")
    page.locator("nav.staff-links").get_by_role("link", name=instructor_text("Report"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/courses/sample-course/report$"))
    row = page.locator("table.report tbody tr").filter(has_text=email)
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_contain_text(name)
    expect(row.locator("td.percent")).to_have_text("25%")
    headers = page.locator("table.report thead th").all_inner_texts()
    intro = next(index for index, header in enumerate(headers) if header.strip() == "Введение")
    cells = row.locator("th, td")
    expect(cells.nth(intro)).to_have_text(instructor_text("Completed"))
    expect(cells.nth(intro)).to_have_class(re.compile(r"\bstatus-completed\b"))

    with page.expect_download() as download_info:
        page.get_by_role("link", name=instructor_text("Download CSV"), exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "sample-course-report.csv"
    with open(download.path(), encoding="utf-8-sig") as file:
        lines = file.read().splitlines()
    assert lines[0].startswith(",".join(instructor_text(column) for column in ("Name", "Email")))
    trainee_line = next(line for line in lines if email in line)
    assert trainee_line.startswith(f"{name},{email},,25,")
