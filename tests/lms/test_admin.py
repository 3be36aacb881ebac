"""Administration: who may open it, managing users, the rules that protect them, CSV import, audit log."""
import email
import email.policy
import io
import re
from datetime import datetime
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from sqlalchemy import select, update
from werkzeug.routing.converters import AnyConverter

from lms.admin import services
from lms.admin.forms import NewUserForm, UserForm
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.extensions import db
from tests.conftest import PASSWORD, counting_statements, csrf_token, find_user, user_count

NEW_PASSWORD = "violet tram under the bridge"


# --- helpers ------------------------------------------------------------------------




def add_users(app, count, prefix, **attributes):
    """Many users at once, without the cost of hashing a password for each."""
    with app.app_context():
        db.session.add_all(
            User(email=f"{prefix}-{number:03d}@example.kz", name=f"{prefix.title()} {number:03d}", **attributes)
            for number in range(count)
        )
        db.session.commit()


def audit_entries(app, action, target=None):
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        if target is not None:
            query = query.where(AuditEntry.target == target)
        entries = db.session.scalars(query).all()
        return [(entry.actor_id, entry.target, entry.details) for entry in entries]


def outbox(app):
    folder = Path(app.instance_path) / "outbox"
    return set(folder.glob("*.eml")) if folder.is_dir() else set()


def mails_since(app, before, to=None):
    messages = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in sorted(outbox(app) - before)
    ]
    return [message for message in messages if to is None or message["To"] == to]


def flashes(html):
    return [unescape(text) for text in re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', html)]


def post(client, path, data=None, **kwargs):
    """POST with the CSRF token of the client's session, the way a browser does."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


# --- access: every admin route x every role ----------------------------------------

# What an administrator gets from each route and method, with no form data but the CSRF token.
ADMIN_STATUS = {
    ("admin.index", "GET"): 302,
    ("admin.users", "GET"): 200,
    ("admin.create_user", "GET"): 200,
    ("admin.create_user", "POST"): 200,  # the empty form comes back with its errors
    ("admin.edit_user", "GET"): 200,
    ("admin.edit_user", "POST"): 200,  # the incomplete form comes back with its errors
    ("admin.set_active", "POST"): 302,
    ("admin.send_reset", "POST"): 302,
    ("admin.import_users", "GET"): 200,
    ("admin.import_users", "POST"): 400,  # no file
    ("admin.confirm_import", "POST"): 400,  # no csv_text
    ("admin.settings", "GET"): 200,
    ("admin.settings", "POST"): 302,
    ("admin.audit_log", "GET"): 200,
}


def admin_requests(app, user_id):
    """(endpoint, method, url) for every admin route, each method it accepts and each value of its arguments."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        choices = {"user_id": [user_id]}
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                choices[name] = sorted(converter.items)
        combinations = [{}]
        for name in rule.arguments:
            combinations = [{**values, name: choice} for values in combinations for choice in choices[name]]
        with app.test_request_context():
            urls = [url_for(rule.endpoint, **values) for values in combinations]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.extend((rule.endpoint, method, url) for url in urls)
    return sorted(found)


def send(client, method, url):
    if method == "POST":
        return post(client, url)
    return client.open(url, method=method)


def test_the_matrix_covers_every_admin_route(app, create_user):
    target = create_user()
    requests = admin_requests(app, target.id)
    assert {(endpoint, method) for endpoint, method, _url in requests} == set(ADMIN_STATUS)
    urls = {url for _endpoint, _method, url in requests}
    assert f"/admin/users/{target.id}/deactivate" in urls
    assert f"/admin/users/{target.id}/reactivate" in urls


def test_anonymous_is_sent_to_sign_in_from_every_admin_route(app, client, create_user):
    target = create_user()
    wrong = {}
    for endpoint, method, url in admin_requests(app, target.id):
        response = send(client, method, url)
        location = response.headers.get("Location", "")
        next_url = parse_qs(urlsplit(location).query).get("next", [None])[0]
        if response.status_code != 302 or not location.startswith("/account/login?next=") or next_url != url:
            wrong[(method, url)] = (response.status_code, location)
    assert wrong == {}


@pytest.mark.parametrize("role", ["trainee", "instructor"])
def test_trainees_and_instructors_are_refused_every_admin_route(app, client, login_as, create_user, get_user, role):
    login_as(role)
    target = create_user()
    wrong = {}
    for endpoint, method, url in admin_requests(app, target.id):
        status = send(client, method, url).status_code
        if status != 403:
            wrong[(method, url)] = status
    assert wrong == {}
    assert get_user(target.id).active  # the refused deactivation changed nothing


def test_administrators_reach_every_admin_route(app, client, login_as, create_user):
    login_as("admin")
    target = create_user()
    wrong = {}
    for endpoint, method, url in admin_requests(app, target.id):
        status = send(client, method, url).status_code
        if status != ADMIN_STATUS[(endpoint, method)]:
            wrong[(method, url)] = status
    assert wrong == {}


@pytest.mark.parametrize("role", [None, "trainee", "instructor", "admin"])
def test_get_on_post_only_routes_is_not_allowed(app, client, login_as, create_user, role):
    if role:
        login_as(role)
    target = create_user()
    post_only = {url for endpoint, method, url in admin_requests(app, target.id) if method == "POST"} - {
        url for endpoint, method, url in admin_requests(app, target.id) if method == "GET"
    }
    assert post_only
    assert {url: client.get(url).status_code for url in post_only} == {url: 405 for url in post_only}


# --- users list ----------------------------------------------------------------------


def listed_emails(html):
    return re.findall(r"<td>([^<@]+@example\.kz)</td>", html)


def test_users_list_searches_name_and_email(client, login_as, create_user):
    login_as("admin")
    create_user(email="aigerim@example.kz", name="Aigerim Seitkali")
    create_user(email="dmitry@example.kz", name="Dmitry Volkov")
    assert listed_emails(client.get("/admin/users?q=seitkali").get_data(as_text=True)) == ["aigerim@example.kz"]
    assert listed_emails(client.get("/admin/users?q=DMITRY@").get_data(as_text=True)) == ["dmitry@example.kz"]
    html = client.get("/admin/users?q=nobody-like-this").get_data(as_text=True)
    assert listed_emails(html) == []
    assert "No users match." in html


def test_users_list_filters_by_role_and_status(client, login_as, create_user):
    me = login_as("admin")
    trainee = create_user(role="trainee")
    instructor = create_user(role="instructor")
    gone = create_user(role="instructor", active=False)
    instructors = listed_emails(client.get("/admin/users?role=instructor").get_data(as_text=True))
    assert set(instructors) >= {instructor.email, gone.email}
    assert trainee.email not in instructors and me.email not in instructors
    inactive = listed_emails(client.get("/admin/users?status=inactive").get_data(as_text=True))
    assert gone.email in inactive
    assert instructor.email not in inactive and trainee.email not in inactive
    active_instructors = listed_emails(client.get("/admin/users?role=instructor&status=active").get_data(as_text=True))
    assert instructor.email in active_instructors and gone.email not in active_instructors


def test_users_list_is_paginated(app, client, login_as):
    login_as("admin")
    add_users(app, 30, "paged")
    first = client.get("/admin/users?q=paged-").get_data(as_text=True)
    assert "30 users" in first
    assert listed_emails(first) == [f"paged-{number:03d}@example.kz" for number in range(25)]
    assert "Page 1 of 2" in first
    assert "page=2" in first
    second = client.get("/admin/users?q=paged-&page=2").get_data(as_text=True)
    assert listed_emails(second) == [f"paged-{number:03d}@example.kz" for number in range(25, 30)]
    assert "Page 2 of 2" in second
    assert listed_emails(client.get("/admin/users?q=paged-&page=9").get_data(as_text=True)) == []


def test_users_list_queries_do_not_grow_with_the_number_of_users(app, client, login_as):
    login_as("admin")
    add_users(app, 5, "few", locale="ru")
    with counting_statements(app) as few:
        html = client.get("/admin/users").get_data(as_text=True)
    assert len(listed_emails(html)) == 6
    add_users(app, 35, "many", locale="kk", active=False)
    with counting_statements(app) as many:
        html = client.get("/admin/users").get_data(as_text=True)
    assert len(listed_emails(html)) == 25
    assert any("FROM users" in statement for statement in few)  # the listener sees the page's queries
    assert len(many) == len(few), many


def test_audit_log_queries_do_not_grow_with_the_number_of_entries(app, client, login_as):
    login_as("admin")

    def add_entries(count, prefix):
        add_users(app, count, prefix)
        with app.app_context():
            actors = db.session.scalars(select(User).where(User.email.like(f"{prefix}-%"))).all()
            db.session.add_all(
                AuditEntry(action=f"test.{prefix}", target=f"{prefix}-{number}", actor=actor, details={"n": number})
                for number, actor in enumerate(actors)
            )
            db.session.commit()

    add_entries(5, "few")
    with counting_statements(app) as few:
        assert client.get("/admin/audit").status_code == 200
    add_entries(40, "many")
    with counting_statements(app) as many:
        html = client.get("/admin/audit").get_data(as_text=True)
    assert "many-039@example.kz" in html  # each entry shows its own actor
    assert any("FROM audit_log" in statement for statement in few)  # the listener sees the page's queries
    assert len(many) == len(few), many


# --- creating and editing users ----------------------------------------------------------


def test_create_user_with_a_password(app, client, login_as, get_user):
    admin = login_as("admin")
    before = outbox(app)
    response = post(
        client,
        "/admin/users/new",
        {"name": " Dana Omarova ", "email": "Dana@Example.kz", "role": "instructor", "locale": "kk", "password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    user = find_user(app, "dana@example.kz")
    assert (user.name, user.role, user.locale, user.active) == ("Dana Omarova", "instructor", "kk", True)
    assert user.check_password(NEW_PASSWORD)
    assert mails_since(app, before, to="dana@example.kz") == []
    assert audit_entries(app, "user.created", "dana@example.kz") == [(admin.id, "dana@example.kz", {"role": "instructor"})]
    html = client.get("/admin/users").get_data(as_text=True)
    assert "The account for dana@example.kz has been created." in flashes(html)


def test_create_user_without_a_password_mails_a_welcome_link(app, client, login_as):
    login_as("admin")
    before = outbox(app)
    response = post(client, "/admin/users/new", {"name": "Erlan Bekov", "email": "erlan@example.kz", "role": "trainee", "locale": ""})
    assert response.status_code == 302
    user = find_user(app, "erlan@example.kz")
    assert user.password_hash is None
    assert user.locale is None
    [message] = mails_since(app, before, to="erlan@example.kz")
    assert message["Subject"] == "Your Kelisim account"
    assert "/account/reset/" in message.get_content()
    assert audit_entries(app, "auth.password_link_sent", "erlan@example.kz")[0][2] == {"welcome": True}


def test_create_user_refuses_a_taken_email_and_a_weak_password(app, client, login_as, create_user):
    login_as("admin")
    create_user(email="taken@example.kz")
    before = user_count(app)
    response = post(client, "/admin/users/new", {"name": "Someone", "email": "TAKEN@example.kz", "role": "trainee", "locale": ""})
    assert response.status_code == 200
    assert "An account with this email already exists." in response.get_data(as_text=True)
    response = post(client, "/admin/users/new", {"name": "Someone", "email": "new@example.kz", "role": "trainee", "locale": "", "password": "short"})
    assert response.status_code == 200
    assert "Use at least 10 characters." in response.get_data(as_text=True)
    assert user_count(app) == before


def test_edit_user_changes_name_email_language_and_role(app, client, login_as, create_user, get_user):
    admin = login_as("admin")
    user = create_user(role="trainee", email="olga@example.kz", name="Olga Kim")
    response = post(
        client,
        f"/admin/users/{user.id}",
        {"name": "Olga Kim-Li", "email": "Olga.Li@example.kz", "locale": "ru", "role": "instructor"},
    )
    assert response.status_code == 302
    changed = get_user(user.id)
    assert (changed.name, changed.email, changed.locale, changed.role) == ("Olga Kim-Li", "olga.li@example.kz", "ru", "instructor")
    assert audit_entries(app, "user.role_changed") == [
        (admin.id, "olga.li@example.kz", {"old": "trainee", "new": "instructor"})
    ]
    assert audit_entries(app, "user.updated") == [
        (admin.id, "olga.li@example.kz", {"name": "Olga Kim-Li", "email": "olga.li@example.kz", "locale": "ru"})
    ]


def test_edit_user_refuses_an_email_another_account_uses(app, client, login_as, create_user, get_user):
    login_as("admin")
    create_user(email="first@example.kz")
    second = create_user(email="second@example.kz", name="Second")
    response = post(client, f"/admin/users/{second.id}", {"name": "Second", "email": "first@example.kz", "locale": "", "role": "trainee"})
    assert response.status_code == 409
    assert "Another account already uses first@example.kz." in flashes(response.get_data(as_text=True))
    assert get_user(second.id).email == "second@example.kz"


def test_unchanged_role_is_not_audited(app, client, login_as, create_user):
    login_as("admin")
    user = create_user(role="trainee", name="Same Role")
    response = post(client, f"/admin/users/{user.id}", {"name": "Same Role", "email": user.email, "locale": "", "role": "trainee"})
    assert response.status_code == 302
    assert audit_entries(app, "user.role_changed") == []


def test_deactivate_and_reactivate_are_audited(app, client, login_as, create_user, get_user, auth):
    admin = login_as("admin")
    user = create_user(role="trainee")
    response = post(client, f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    deactivated = get_user(user.id)
    assert not deactivated.active
    assert deactivated.session_version == user.session_version + 1  # signed out everywhere
    assert audit_entries(app, "user.deactivated") == [(admin.id, user.email, {})]

    assert post(client, f"/admin/users/{user.id}/reactivate").status_code == 302
    assert get_user(user.id).active
    assert audit_entries(app, "user.reactivated") == [(admin.id, user.email, {})]


def test_deactivated_user_cannot_sign_in(app, client, login_as, create_user):
    login_as("admin")
    user = create_user(role="trainee")
    post(client, f"/admin/users/{user.id}/deactivate")
    other = app.test_client()
    response = other.post(
        "/account/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(other)}
    )
    assert response.status_code == 200  # the form again, not a redirect into the site


def test_send_reset_link_writes_a_mail(app, client, login_as, create_user):
    admin = login_as("admin")
    user = create_user(role="trainee", email="reset-me@example.kz")
    before = outbox(app)
    response = post(client, f"/admin/users/{user.id}/send-reset")
    assert response.status_code == 302
    [message] = mails_since(app, before, to="reset-me@example.kz")
    assert message["Subject"] == "Reset your Kelisim password"
    assert "/account/reset/" in message.get_content()
    assert audit_entries(app, "auth.password_link_sent", "reset-me@example.kz")[0] == (
        admin.id, "reset-me@example.kz", {"welcome": False}
    )


def test_no_reset_link_for_a_deactivated_user(app, client, login_as, create_user):
    login_as("admin")
    user = create_user(role="trainee", active=False)
    before = outbox(app)
    response = post(client, f"/admin/users/{user.id}/send-reset", follow_redirects=True)
    assert "Reactivate the account before sending a link." in flashes(response.get_data(as_text=True))
    assert mails_since(app, before) == []


# --- rules ---------------------------------------------------------------------------


@pytest.fixture
def sole_admin(app, login_as):
    """A signed-in administrator who is the only active one (others are deactivated within the test)."""
    admin = login_as("admin")
    with app.app_context():
        db.session.execute(update(User).where(User.role == "admin", User.id != admin.id).values(active=False))
        db.session.commit()
    return admin


def test_last_active_admin_cannot_be_demoted(app, client, sole_admin, get_user):
    response = post(
        client, f"/admin/users/{sole_admin.id}",
        {"name": sole_admin.name, "email": sole_admin.email, "locale": "", "role": "trainee"},
    )
    assert response.status_code == 409
    assert f"{sole_admin.name} is the last active administrator." in flashes(response.get_data(as_text=True))
    assert get_user(sole_admin.id).role == "admin"
    assert audit_entries(app, "user.role_changed") == []


def test_last_active_admin_cannot_be_deactivated(app, client, sole_admin, get_user, create_user):
    create_user(role="admin", active=False)  # an inactive administrator does not count
    response = post(client, f"/admin/users/{sole_admin.id}/deactivate", follow_redirects=True)
    assert response.status_code == 200
    assert f"{sole_admin.name} is the last active administrator." in flashes(response.get_data(as_text=True))
    assert get_user(sole_admin.id).active
    assert audit_entries(app, "user.deactivated") == []


def test_with_two_admins_one_may_be_demoted_and_then_the_other_may_not(app, client, sole_admin, create_user, get_user):
    other = create_user(role="admin", name="Other Admin")
    response = post(client, f"/admin/users/{other.id}", {"name": other.name, "email": other.email, "locale": "", "role": "instructor"})
    assert response.status_code == 302
    assert get_user(other.id).role == "instructor"
    response = post(
        client, f"/admin/users/{sole_admin.id}",
        {"name": sole_admin.name, "email": sole_admin.email, "locale": "", "role": "instructor"},
    )
    assert response.status_code == 409
    assert get_user(sole_admin.id).role == "admin"


def test_with_two_admins_one_may_be_deactivated(app, client, sole_admin, create_user, get_user):
    other = create_user(role="admin")
    assert post(client, f"/admin/users/{other.id}/deactivate").status_code == 302
    assert not get_user(other.id).active


def test_nobody_grants_a_role_above_their_own(app, create_user):
    instructor = create_user(role="instructor")
    trainee = create_user(role="trainee")
    with app.test_request_context():
        actor = db.session.get(User, instructor.id)
        user = db.session.get(User, trainee.id)
        assert services.grantable_roles(actor) == ("trainee", "instructor")
        services.check_can_grant(actor, "instructor")
        with pytest.raises(services.AdminRuleError, match="above your own"):
            services.check_can_grant(actor, "admin")
        with pytest.raises(services.AdminRuleError, match="above your own"):
            services.change_role(actor, user, "admin")
        assert user.role == "trainee"
        services.change_role(actor, user, "instructor")
        assert user.role == "instructor"
        db.session.rollback()


def test_user_forms_offer_only_grantable_roles(app, create_user):
    instructor = create_user(role="instructor")
    admin = create_user(role="admin")
    with app.test_request_context():
        for form_class in (UserForm, NewUserForm):
            assert [value for value, _label in form_class(db.session.get(User, instructor.id)).role.choices] == [
                "trainee", "instructor"
            ]
            assert [value for value, _label in form_class(db.session.get(User, admin.id)).role.choices] == [
                "trainee", "instructor", "admin"
            ]


def test_admin_form_refuses_an_unknown_role(app, client, login_as, create_user, get_user):
    login_as("admin")
    user = create_user(role="trainee")
    html = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert re.findall(r'<option (?:selected )?value="(\w+)"', html.split('name="role"')[1].split("</select>")[0]) == [
        "trainee", "instructor", "admin"
    ]
    response = post(client, f"/admin/users/{user.id}", {"name": user.name, "email": user.email, "locale": "", "role": "owner"})
    assert response.status_code == 200
    assert get_user(user.id).role == "trainee"


# --- CSV import -------------------------------------------------------------------------

BAD_CSV = (
    "email,name,role,language\n"
    "good@example.kz,Good Person,trainee,en\n"  # line 2: fine
    "not-an-email,Bad Email,trainee,en\n"  # 3
    "noname@example.kz,,trainee,en\n"  # 4
    "role@example.kz,Role Person,superuser,en\n"  # 5
    "lang@example.kz,Lang Person,trainee,de\n"  # 6
    "GOOD@example.kz,Twice Person,trainee,ru\n"  # 7: duplicate of line 2
    "existing@example.kz,Existing Person,trainee,en\n"  # 8: already an account
    "many@example.kz,Many Values,trainee,en,extra\n"  # 9
)
BAD_LINES = {
    3: "not-an-email is not a valid email address.",
    4: "The name is missing.",
    5: "Unknown role superuser",
    6: "Unknown language de",
    7: "good@example.kz is already on line 2.",
    8: "An account with existing@example.kz already exists.",
    9: "This row has more values than the header has columns.",
}


def upload(client, content, filename="users.csv"):
    return post(client, "/admin/users/import", {"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def problem_lines(html):
    return {int(line): unescape(message) for line, message in re.findall(r"<li>Line (\d+): ([^<]*)</li>", html)}


def test_import_preview_lists_every_bad_row_and_imports_nothing(app, client, login_as, create_user):
    login_as("admin")
    create_user(email="existing@example.kz")
    before = user_count(app)
    response = upload(client, BAD_CSV.encode())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    problems = problem_lines(html)
    assert set(problems) == set(BAD_LINES)
    for line, message in BAD_LINES.items():
        assert message in problems[line], (line, problems[line])
    assert "7 problems: nothing will be imported" in html
    assert 'action="/admin/users/import/confirm"' not in html  # no confirm button
    assert user_count(app) == before
    assert find_user(app, "good@example.kz") is None


GOOD_COMMAS = (
    "email,name,role,language\n"
    "alma@example.kz,Alma Nurova,trainee,kk\n"
    "Boris@Example.kz,Boris Lee,Instructor,ru\n"
    "carla@example.kz,Carla Diaz,administrator,\n"
).encode()
GOOD_SEMICOLONS_BOM = (
    "email;name;role;language\r\n"
    "alma@example.kz;Алма Нурова;trainee;kk\r\n"
    "boris@example.kz;\"Lee; Boris\";instructor;ru\r\n"
    "carla@example.kz;Carla Diaz;administrator;en\r\n"
).encode("utf-8-sig")


@pytest.mark.parametrize("content", [GOOD_COMMAS, GOOD_SEMICOLONS_BOM], ids=["commas", "semicolons-with-bom"])
def test_import_good_csv_previews_then_creates_users(app, client, login_as, content):
    admin = login_as("admin")
    before = user_count(app)
    response = upload(client, content)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert problem_lines(html) == {}
    assert "3 rows" in html
    for address in ("alma@example.kz", "boris@example.kz", "carla@example.kz"):
        assert f"<td>{address}</td>" in html
    assert "Import 3 users" in html
    assert 'action="/admin/users/import/confirm"' in html
    match = re.search(r'name="csv_text" type="hidden" value="([^"]*)"', html)
    assert match, html
    csv_text = unescape(match.group(1))
    assert csv_text == content.decode("utf-8-sig")
    assert user_count(app) == before  # the preview imports nothing

    before_mail = outbox(app)
    response = client.post(
        "/admin/users/import/confirm", data={"csv_text": csv_text, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    alma, boris, carla = (find_user(app, f"{name}@example.kz") for name in ("alma", "boris", "carla"))
    assert (alma.role, alma.locale) == ("trainee", "kk")
    assert (boris.role, boris.locale) == ("instructor", "ru")
    assert carla.role == "admin"  # "administrator" is accepted
    for user in (alma, boris, carla):
        assert user.password_hash is None
        assert len(mails_since(app, before_mail, to=user.email)) == 1
    assert len(mails_since(app, before_mail)) == 3
    assert audit_entries(app, "users.imported") == [(admin.id, None, {"count": 3})]
    assert len(audit_entries(app, "user.imported")) == 3
    assert "3 accounts have been created and mailed a link to choose a password." in flashes(
        client.get("/admin/users").get_data(as_text=True)
    )


def test_import_confirm_with_tampered_text_imports_nothing(app, client, login_as, create_user):
    login_as("admin")
    create_user(email="existing@example.kz")
    before = user_count(app)
    before_mail = outbox(app)
    response = client.post("/admin/users/import/confirm", data={"csv_text": BAD_CSV, "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert set(problem_lines(html)) == set(BAD_LINES)
    assert 'action="/admin/users/import/confirm"' not in html  # no button to go ahead
    assert user_count(app) == before
    assert mails_since(app, before_mail) == []
    assert audit_entries(app, "users.imported") == []


def test_import_refuses_a_file_that_is_not_utf8(app, client, login_as):
    login_as("admin")
    before = user_count(app)
    response = upload(client, "email,name\nzhanna@example.kz,Жанна Абенова\n".encode("cp1251"))
    assert response.status_code == 400
    assert "The file is not UTF-8 text." in flashes(response.get_data(as_text=True))[0]
    assert user_count(app) == before


def test_import_refuses_a_file_without_the_columns(app, client, login_as):
    login_as("admin")
    html = upload(client, b"mail,fullname\nx@example.kz,X\n").get_data(as_text=True)
    assert "Line 1:" in html
    assert "missing: email, name" in html
    assert "/admin/users/import/confirm" not in html


# --- audit log --------------------------------------------------------------------------


@pytest.fixture
def audit_history(app, create_user):
    alice = create_user(email="alice-audit@example.kz")
    bob = create_user(email="bob-audit@example.kz")
    with app.app_context():
        db.session.add_all(
            [
                AuditEntry(action="course.published", actor_id=alice.id, target="target-alpha", created_at=datetime(2026, 1, 10, 12, 0)),
                AuditEntry(action="course.archived", actor_id=bob.id, target="target-bravo", created_at=datetime(2026, 2, 15, 8, 0)),
                AuditEntry(action="course.published", actor_id=bob.id, target="target-charlie", created_at=datetime(2026, 3, 20, 23, 59)),
            ]
        )
        db.session.commit()


def shown_targets(client, query):
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    return set(re.findall(r"<td>(target-\w+)</td>", response.get_data(as_text=True)))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"alpha", "bravo", "charlie"}),
        ("action=course.published", {"alpha", "charlie"}),
        ("action=course.archived", {"bravo"}),
        ("actor=BOB-audit", {"bravo", "charlie"}),
        ("actor=alice-audit%40example.kz", {"alpha"}),
        ("target=bravo", {"bravo"}),
        ("since=2026-02-01&until=2026-02-28", {"bravo"}),
        ("until=2026-03-20", {"alpha", "bravo", "charlie"}),  # the whole last day counts
        ("until=2026-03-19", {"alpha", "bravo"}),
        ("since=2026-03-20", {"charlie"}),
        ("action=course.published&actor=bob-audit&since=2026-01-01&until=2026-12-31", {"charlie"}),
        ("actor=nobody-at-all", set()),
    ],
)
def test_audit_log_filters(client, login_as, audit_history, query, expected):
    login_as("admin")
    assert shown_targets(client, query) == {f"target-{name}" for name in expected}


def test_audit_log_shows_who_did_what(client, login_as, audit_history):
    login_as("admin")
    html = client.get("/admin/audit?target=target-charlie").get_data(as_text=True)
    assert "bob-audit@example.kz" in html
    assert "<code>course.published</code>" in html
    assert "2026-03-20 23:59:00" in html
