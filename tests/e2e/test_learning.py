"""A trainee learns in Chromium: catalog, enroll, first lesson, progress, and resuming later.

The live server's demo data imports tests/fixtures/courses, so the sample course
exists: intro (done on view) -> listening (needs intro) -> checklist, further-reading.
"""
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TRAINEE_PASSWORD, add_trainee, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def trainee(live_server):
    email = f"learner-{uuid.uuid4().hex[:8]}@example.kz"
    add_trainee(live_server, email, "Aliya Learner")
    return email


def test_trainee_enrolls_studies_and_resumes(new_context, live_server, trainee):
    text = lambda message, **variables: live_server.text("en", message, **variables)  # noqa: E731
    page = new_context().new_page()
    sign_in(page, trainee, TRAINEE_PASSWORD)
    expect(page.locator("main")).to_contain_text(text("You are not enrolled in any course yet."))

    page.locator("header nav").get_by_role("link", name=text("Courses")).click()
    expect(page).to_have_url(re.compile(r"/courses/$"))
    page.locator("main").get_by_role("link", name="Sample course").click()
    expect(page).to_have_url(re.compile(r"/courses/sample-course$"))
    expect(page.locator("main h1")).to_have_text("Sample course")

    page.get_by_role("button", name=text("Enroll"), exact=True).click()
    expect(page.locator(".flash")).to_have_text(text("You are enrolled in %(title)s.", title="Sample course"))
    bar = page.locator("main progress")
    expect(bar).to_have_attribute("value", "0")

    page.locator("ol.activities").get_by_role("link", name="Introduction", exact=True).click()
    expect(page).to_have_url(re.compile(r"/courses/sample-course/a/intro$"))
    expect(page.locator("main h1")).to_have_text("Introduction")
    expect(page.locator(".lesson h2")).to_have_text("What mediation is")
    expect(page.locator(".lesson table")).to_be_visible()
    image = page.locator(".lesson img")
    expect(image).to_have_attribute("src", "/courses/sample-course/files/lessons/images/stages.svg")
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle())

    page.locator("nav.breadcrumbs").get_by_role("link", name="Sample course").click()
    expect(page).to_have_url(re.compile(r"/courses/sample-course$"))
    expect(bar).to_have_attribute("value", "25")
    expect(page.locator("main")).to_contain_text(text("%(percent)d%% complete", percent=25))
    page.context.close()

    later = new_context().new_page()
    sign_in(later, trainee, TRAINEE_PASSWORD)
    panel = later.locator("ul.my-courses li").filter(has_text="Sample course")
    expect(panel.locator("progress")).to_have_attribute("value", "25")
    panel.get_by_role("link", name=text("Continue"), exact=True).click()
    expect(later).to_have_url(re.compile(r"/courses/sample-course/a/listening$"))
    expect(later.locator("main h1")).to_have_text("Active listening")
    later.get_by_role("button", name=text("Mark as done")).click()
    expect(later).to_have_url(re.compile(r"/courses/sample-course/a/checklist$"))
    later.goto("/courses/sample-course")
    expect(later.locator("main progress")).to_have_attribute("value", "100")  # checklist was done on view
