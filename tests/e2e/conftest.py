"""Browser tests: one live server and one Chromium for the whole session.

The server is an app of its own (not the `app` fixture of tests/conftest.py, whose
database is rolled back after every test): a throw-away database on SQLite or, with
LMS_TEST_DATABASE_URL set, on PostgreSQL, migrated and holding the demo accounts of
`lms demo`. Werkzeug serves it from a daemon thread on a free port of 127.0.0.1.

Chromium is Debian's /usr/bin/chromium (browsers cannot be downloaded here). When it
is missing or does not start the tests are skipped, unless LMS_REQUIRE_E2E=1 (as in
CI), which makes that a failure.
"""
import os
import re
import threading
from dataclasses import dataclass

import flask_migrate
import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from werkzeug.serving import make_server

from lms.auth.services import create_user
from lms.extensions import db, limiter
from tests import databases
from tests.conftest import make_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TRAINEE_PASSWORD = "a long trainee passphrase"


@dataclass
class LiveServer:
    url: str
    app: Flask

    def text(self, locale, message, **variables):
        """`message` as the app's catalogs translate it into `locale` (read at test time)."""
        with self.app.test_request_context(), force_locale(locale):
            return gettext(message, **variables)


def browser_unavailable(reason):
    if os.environ.get("LMS_REQUIRE_E2E") == "1":
        pytest.fail(f"{reason} (LMS_REQUIRE_E2E=1 requires the browser tests to run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def launch_browser():
    """Start Playwright once; return a function that launches a new headless Chromium.

    The function's `shared` attribute is the Chromium that most tests share.
    """
    if not os.path.exists(CHROMIUM):
        browser_unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        browser_unavailable(f"Playwright is not installed: {error}")
    playwright = sync_playwright().start()
    browsers = []

    def launch():
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        browsers.append(browser)
        return browser

    try:
        launch.shared = launch()
    except Exception as error:  # whatever keeps Chromium from starting
        playwright.stop()
        browser_unavailable(f"Playwright cannot launch {CHROMIUM}: {error}")
    yield launch
    for browser in browsers:
        if browser.is_connected():
            browser.close()
    playwright.stop()


@pytest.fixture(scope="session")
def browser(launch_browser):
    return launch_browser.shared


@pytest.fixture
def fresh_browser(launch_browser):
    """A Chromium of the test's own, for checks that browser-wide caches would hide.

    (Chromium remembers for the whole browser that a favicon failed to load, so only
    the first page ever shown reports it.)
    """
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e-instance")
    url = databases.create(folder)
    app = make_app(folder, url)
    with app.app_context():
        flask_migrate.upgrade()
    result = app.test_cli_runner().invoke(args=["lms", "demo"])
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
        databases.drop(url)


@pytest.fixture
def new_context(browser, live_server):
    """Factory: a fresh browser context (own cookies) on the live server, closed afterwards.

    `new_context(browser=other, ...)` opens it in another browser than the shared one.
    """
    contexts = []
    limiter.reset()  # sign-ins of earlier tests do not count against the login limit

    def new_context(browser=browser, **options):
        options = {"base_url": live_server.url, "locale": "en-US", **options}
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def add_trainee(live_server, email, name):
    """A trainee account on the live server's database, signing in with TRAINEE_PASSWORD."""
    with live_server.app.app_context():
        create_user(email, name, password=TRAINEE_PASSWORD)
        db.session.commit()


def sign_in(page, email, password):
    """Sign in through the form of /account/login and land on the dashboard."""
    from playwright.sync_api import expect  # imported here: without Playwright, launch_browser skips the tests

    page.goto("/account/login")
    form = page.locator("main form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
