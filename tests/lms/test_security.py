"""Defences users rely on without seeing them: CSRF, safe redirects, headers, cookies, error pages."""
import html
import re
from urllib.parse import quote

import pytest
from flask import url_for
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.extensions import db
from tests.conftest import CSRF_META, PASSWORD, csrf_token

CSRF_MESSAGE = "The form has expired or did not come from this site."
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
LOGIN_FORM = re.compile(r'<form[^>]*action="/account/login"[^>]*>(.*?)</form>', re.DOTALL)
NEXT_FIELD = re.compile(r'<input[^>]*\bname="next"[^>]*\bvalue="([^"]*)"')


def next_field(page):
    """The value of the hidden `next` field of the sign-in form (not the language switcher's)."""
    form = LOGIN_FORM.search(page)
    assert form, "no sign-in form on the page"
    match = NEXT_FIELD.search(form.group(1))
    return html.unescape(match.group(1)) if match else ""


def signed_in(client):
    return client.get("/dashboard").status_code == 200


# ---------------------------------------------------------------- CSRF


def assert_csrf_refused(response):
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(app, client, create_user):
    user = create_user()

    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})

    assert_csrf_refused(response)
    assert not signed_in(client)
    with app.app_context():
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login")).all() == []


def test_login_with_another_sessions_csrf_token_is_refused(app, client, create_user):
    user = create_user()
    foreign_token = csrf_token(app.test_client())
    client.get("/")

    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD, "csrf_token": foreign_token})

    assert_csrf_refused(response)
    assert not signed_in(client)


def test_profile_change_without_csrf_token_is_refused(client, login_as, get_user):
    user = login_as(name="Original Name", locale="en")

    response = client.post("/account/profile", data={"name": "Changed By Attacker", "locale": "kk"})

    assert_csrf_refused(response)
    unchanged = get_user(user.id)
    assert (unchanged.name, unchanged.locale) == ("Original Name", "en")


def test_password_change_without_csrf_token_is_refused(client, login_as, get_user):
    user = login_as()

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "attacker chosen phrase", "confirm": "attacker chosen phrase"},
    )

    assert_csrf_refused(response)
    assert get_user(user.id).check_password(PASSWORD)


def test_language_switch_without_csrf_token_is_refused(client, login_as, get_user):
    user = login_as(locale="en")

    response = client.post("/language", data={"language": "kk", "next": "/dashboard"})

    assert_csrf_refused(response)
    assert get_user(user.id).locale == "en"
    with client.session_transaction() as session:
        assert "locale" not in session


def test_language_switch_with_csrf_token_works(client, submit, login_as, get_user):
    """The counterpart of the refusal above: the same form with its token is accepted."""
    user = login_as(locale="en")

    response = submit("/language", {"language": "kk", "next": "/dashboard"})

    assert response.status_code == 302
    assert get_user(user.id).locale == "kk"


def test_admin_forms_without_csrf_token_are_refused(client, login_as, create_user, get_user):
    login_as("admin")
    trainee = create_user()

    assert_csrf_refused(client.post("/admin/settings", data={}))
    assert_csrf_refused(client.post(f"/admin/users/{trainee.id}/deactivate"))
    assert_csrf_refused(
        client.post("/admin/users/new", data={"name": "Planted Admin", "email": "planted@example.kz", "role": "admin"})
    )

    assert get_user(trainee.id).active
    # self-registration is still open: the unticked box was not saved
    page = client.get("/admin/settings").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="self_registration"[^>]*>', page).group(0)
    assert re.search(r"\schecked[\s>=]", checkbox), checkbox
    with client.application.app_context():
        assert db.session.scalar(select(User).where(User.email == "planted@example.kz")) is None


# ---------------------------------------------------------------- redirects after sign-in

OFF_SITE = [
    "https://evil.example",
    "http://evil.example/dashboard",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "%2F%2Fevil.example",
    "\t//evil.example",
    "/\t/evil.example",
    " //evil.example",
    "https:evil.example",
    "evil.example",
]


def login_following_next(client, user, raw_next):
    """Open the sign-in page with ?next=..., then send the form back the way a browser would."""
    page = client.get("/account/login?next=" + quote(raw_next, safe=""))
    next_value = next_field(page.get_data(as_text=True))
    assert next_value == raw_next  # the form carries the target through unchanged
    return client.post(
        "/account/login",
        data={"email": user.email, "password": PASSWORD, "next": next_value, "csrf_token": csrf_token(client)},
    )


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(client, create_user, target):
    response = login_following_next(client, create_user(), target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_login_redirect_with_percent_encoded_slashes_in_the_query(client, create_user):
    """?next=%2F%2Fevil.example arrives decoded as //evil.example."""
    user = create_user()
    page = client.get("/account/login?next=%2F%2Fevil.example").get_data(as_text=True)
    assert next_field(page) == "//evil.example"

    response = client.post(
        "/account/login",
        data={"email": user.email, "password": PASSWORD, "next": "//evil.example", "csrf_token": csrf_token(client)},
    )

    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("target", OFF_SITE)
def test_signed_in_user_opening_login_is_not_sent_off_site(client, login_as, target):
    login_as()

    response = client.get("/account/login?next=" + quote(target, safe=""))

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("target", ["/account/profile", "/account/profile?tab=password", "/admin/users?q=a%20b"])
def test_login_honours_a_path_on_this_site(client, create_user, target):
    response = login_following_next(client, create_user(role="admin"), target)

    assert response.status_code == 302
    assert response.headers["Location"] == target


def test_login_required_pages_come_back_after_sign_in(client, create_user):
    user = create_user()
    to_login = client.get("/account/profile")
    assert to_login.status_code == 302

    page = client.get(to_login.headers["Location"])
    next_value = next_field(page.get_data(as_text=True))
    response = client.post(
        "/account/login",
        data={"email": user.email, "password": PASSWORD, "next": next_value, "csrf_token": csrf_token(client)},
    )

    assert response.headers["Location"] == "/account/profile"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example"])
def test_language_switch_never_redirects_off_site(submit, target):
    response = submit("/language", {"language": "ru", "next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# ---------------------------------------------------------------- headers and cookies


def content_security_policy(response):
    policy = response.headers.get("Content-Security-Policy")
    assert policy, "no Content-Security-Policy header"
    directives = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        directives[name] = sources
    return directives


@pytest.mark.parametrize("path", ["/account/login", "/", "/no-such-page", "/healthz", "/static/css/app.css", "/dashboard"])
def test_security_headers(client, path):
    response = client.get(path)

    policy = content_security_policy(response)
    script_sources = policy.get("script-src", policy.get("default-src"))
    assert script_sources, policy
    assert "'unsafe-inline'" not in script_sources
    assert "'unsafe-eval'" not in script_sources
    assert "'unsafe-inline'" not in policy.get("style-src", policy.get("default-src"))
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # only when served over HTTPS


def test_session_cookie_is_http_only_and_same_site(client, auth, create_user):
    client.get("/account/login")
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure  # plain HTTP in development would otherwise lose the session

    auth.login(create_user(), remember="y")
    remember = client.get_cookie("remember_token")
    assert remember.http_only
    assert remember.same_site == "Lax"


def test_cookies_are_secure_behind_https(build_app):
    app = build_app(migrate=True, LMS_HTTPS=True)
    with app.app_context():
        user = User(email="secure@example.kz", name="Secure User", role="trainee")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    client = app.test_client()

    page = client.get("/account/login", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = CSRF_META.search(page.get_data(as_text=True)).group(1)
    response = client.post(
        "/account/login",
        data={"email": "secure@example.kz", "password": PASSWORD, "remember": "y", "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/account/login"},  # Flask-WTF checks it over HTTPS
    )

    assert response.status_code == 302, response.get_data(as_text=True)
    session_cookie = client.get_cookie("session")
    assert session_cookie.secure and session_cookie.http_only and session_cookie.same_site == "Lax"
    remember = client.get_cookie("remember_token")
    assert remember.secure and remember.http_only
    assert client.get("/dashboard", base_url="https://localhost").status_code == 200
    # external links, such as those in password mails, use https
    with app.test_request_context(base_url="https://localhost"):
        assert url_for("pages.index", _external=True).startswith("https://")



# ---------------------------------------------------------------- no inline script


def assert_no_inline_script(path, response):
    page = response.get_data(as_text=True)
    scripts = SCRIPT.findall(page)
    for attributes, body in scripts:
        assert "src=" in attributes, f"{path}: <script> without src"
        assert not body.strip(), f"{path}: <script> with a body"
    assert "<script" not in SCRIPT.sub("", page).lower(), f"{path}: unclosed <script>"
    assert not EVENT_HANDLER.search(page), f"{path}: inline event handler"
    assert not re.search(r"\bhref\s*=\s*[\"']\s*javascript:", page, re.IGNORECASE), f"{path}: javascript: link"


def visit_all(client, paths):
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 400, 403, 404, 405), (path, response.status_code)
        assert response.mimetype == "text/html"
        assert_no_inline_script(path, response)


def test_no_inline_script_anonymous(client):
    visit_all(client, ["/", "/account/login", "/account/register", "/account/forgot", "/no-such-page"])


def test_no_inline_script_trainee(client, login_as):
    login_as()
    visit_all(client, ["/dashboard", "/account/profile", "/admin/users", "/account/logout"])


def test_no_inline_script_admin(client, login_as, create_user):
    admin = login_as("admin")
    create_user(name="<script>alert(1)</script>")  # user-supplied text is escaped, never run
    visit_all(
        client,
        [
            "/dashboard",
            "/admin/users",
            "/admin/users?q=%3Cscript%3E",
            "/admin/users/new",
            f"/admin/users/{admin.id}",
            "/admin/users/import",
            "/admin/settings",
            "/admin/audit",
        ],
    )


def test_no_inline_script_on_form_errors(client, submit):
    response = submit("/account/register", {"name": "<script>x</script>", "email": "bad", "password": "x", "confirm": "y"})
    assert response.status_code == 200
    assert_no_inline_script("/account/register (errors)", response)
    assert "&lt;script&gt;x&lt;/script&gt;" in response.get_data(as_text=True)


# ---------------------------------------------------------------- error pages


def assert_layout(response):
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert 'class="site-header"' in page
    assert 'class="site-footer"' in page
    assert '<meta name="csrf-token"' in page
    assert "/static/css/app.css" in page
    return page


def test_not_found_page_uses_the_layout(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert "Page not found" in assert_layout(response)


def test_not_found_for_a_missing_record(client, login_as):
    login_as("admin")

    response = client.get("/admin/users/987654")

    assert response.status_code == 404
    assert "Page not found" in assert_layout(response)


def test_forbidden_page_for_a_trainee_on_admin_pages(client, login_as):
    login_as()

    response = client.get("/admin/users")

    assert response.status_code == 403
    page = assert_layout(response)
    assert "Access denied" in page
    assert "Sign out" in page  # still signed in, with the usual header


def test_admin_pages_send_anonymous_visitors_to_sign_in(client):
    response = client.get("/admin/users")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


def test_method_not_allowed_uses_the_layout(client):
    response = client.get("/account/logout")

    assert response.status_code == 405
    assert "405" in assert_layout(response)


def test_unhandled_exception_shows_the_500_page_without_details(build_app):
    app = build_app(TESTING=False, PROPAGATE_EXCEPTIONS=False, DEBUG=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom")

    assert response.status_code == 500
    page = assert_layout(response)
    assert "Something went wrong" in page
    assert "Traceback" not in page
    assert "secret internal detail" not in page
    assert "RuntimeError" not in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"
