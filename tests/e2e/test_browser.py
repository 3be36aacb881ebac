"""The platform as a person sees it: real Chromium against the live server of conftest.py.

Only the demo accounts of `lms demo` are used. No test here changes an account's
language (the switcher is tried signed out), so the tests do not depend on each other.
"""
import re

import pytest
from playwright.sync_api import expect

from lms.cli import DEMO_PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@kelisim.local"
INSTRUCTOR = "instructor@kelisim.local"
DEMO_EMAILS = ("admin@kelisim.local", "instructor@kelisim.local", "trainee@kelisim.local", "trainee2@kelisim.local")
PHONE = {"width": 390, "height": 844}

# Listens for CSP violations before any script of the page runs (Playwright's own
# init scripts are not subject to the page's policy).
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def horizontal_overflow(page, width):
    """How many CSS pixels the page is wider than its window of `width` (<= 0: nothing overflows).

    A mobile browser zooms out to fit a page that is too wide, which widens
    window.innerWidth too, so the page is also measured against the screen's width.
    """
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return scroll_width - min(inner_width, width)


def test_admin_signs_in_and_reaches_administration(page, live_server):
    sign_in(page, ADMIN, DEMO_PASSWORD)
    expect(page.locator("h1")).to_have_text(live_server.text("en", "Welcome, %(name)s", name="Aigerim Seitkali"))

    page.locator("header nav").get_by_role("link", name=live_server.text("en", "Administration")).click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.locator("h1")).to_have_text(live_server.text("en", "Users"))
    rows = page.locator("table tbody tr")
    for email in DEMO_EMAILS:
        expect(rows.filter(has_text=email)).to_have_count(1)


def test_language_switcher_translates_the_page(page, live_server):
    heading = page.locator("main h1")
    sign_in_button = page.locator("main .actions a[href$='/account/login']")
    switcher = page.locator("select#language-select")

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    english = (live_server.text("en", "Kelisim — training for mediators"), live_server.text("en", "Sign in"))
    expect(heading).to_have_text(english[0])
    expect(sign_in_button).to_have_text(english[1])

    for locale, name in (("ru", "Русский"), ("kk", "Қазақша")):
        switcher.select_option(label=name)  # app.js submits the form on change
        expect(page.locator("html")).to_have_attribute("lang", locale)
        expect(page).to_have_url(re.compile(r"/$"))
        expect(switcher).to_have_value(locale)
        expected = (
            live_server.text(locale, "Kelisim — training for mediators"),
            live_server.text(locale, "Sign in"),
        )
        for text, original in zip(expected, english):
            assert text != original, f"the {locale} catalog has no translation of {original!r}"
        expect(heading).to_have_text(expected[0])
        expect(sign_in_button).to_have_text(expected[1])


def test_sign_out_returns_to_the_start_page(page, live_server):
    sign_in(page, INSTRUCTOR, DEMO_PASSWORD)
    page.locator("header form[action$='/account/logout'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:\d+/$"))
    expect(page.locator("header a[href$='/account/login']")).to_be_visible()
    expect(page.locator("header form[action$='/account/logout']")).to_have_count(0)

    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/account/login\?next=%2Fdashboard$"))


def test_phone_sized_screen(new_context):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3).new_page()
    page.goto("/account/login")
    assert page.evaluate("window.innerWidth") == PHONE["width"]
    assert horizontal_overflow(page, PHONE["width"]) <= 0, "the sign-in page is wider than a phone"
    form = page.locator("main form")
    for control in ("input[name=email]", "input[name=password]", "button[type=submit]"):
        box = form.locator(control).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{control} is off screen: {box}"

    form.locator("input[name=email]").tap()
    form.locator("input[name=email]").fill(ADMIN)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").tap()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    for path in ("/dashboard", "/account/profile", "/admin/users"):
        page.goto(path)
        assert horizontal_overflow(page, PHONE["width"]) <= 0, f"{path} is wider than a phone"


def console_error(message):
    return f"{message.text} ({message.location.get('url') or 'no location'})"


def test_no_console_errors_or_csp_violations(new_context, fresh_browser):
    page = new_context(browser=fresh_browser).new_page()
    errors = []
    page.on("console", lambda message: errors.append(console_error(message)) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    violations = []

    def visit(path, settle="load"):
        response = page.goto(path)
        assert response.ok, f"{path}: HTTP {response.status}"
        assert "default-src 'self'" in response.headers.get("content-security-policy", ""), path
        page.wait_for_load_state(settle)
        violations.extend(f"{path}: {v}" for v in page.evaluate("window.__cspViolations"))

    # The first page of a new browser waits until the network is idle, which includes
    # Chromium's own late request for a favicon (made once per browser).
    visit("/", settle="networkidle")
    for path in ("/account/login", "/account/register", "/account/forgot"):
        visit(path)
    # The switcher's script runs (and is allowed to) when signed out; it changes no account.
    page.locator("select#language-select").select_option("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.wait_for_load_state("networkidle")
    violations.extend(page.evaluate("window.__cspViolations"))

    sign_in(page, ADMIN, DEMO_PASSWORD)
    for path in ("/dashboard", "/account/profile", "/admin/users", "/admin/audit", "/admin/settings"):
        visit(path)

    assert violations == []
    assert errors == []
