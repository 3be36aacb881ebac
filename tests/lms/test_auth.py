"""Accounts as people use them: sign-up, sign-in, sign-out, password reset and change,
deactivation and the brakes on guessing passwords."""
import email
import re
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth import services
from lms.auth.models import User
from lms.extensions import db
from tests.conftest import PASSWORD, csrf_token

NEW_PASSWORD = "a completely different phrase"
RESET_LINK = re.compile(r"https?://[^/\s]+(/account/reset/\S+)")


# ---------------------------------------------------------------- helpers


def audit_entries(app, action, target=None):
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        if target is not None:
            query = query.where(AuditEntry.target == target)
        return [
            {"target": e.target, "ip": e.ip_address, "actor_id": e.actor_id, "details": e.details}
            for e in db.session.scalars(query)
        ]


def find_user_by_email(app, address):
    with app.app_context():
        user = services.find_user(address)
        if user is not None:
            db.session.expunge(user)
        return user


def registration(name="Aigerim Nurlanovna", address="aigerim@example.kz", password=PASSWORD, confirm=None):
    return {
        "name": name,
        "email": address,
        "password": password,
        "confirm": password if confirm is None else confirm,
        "locale": "ru",
    }


def flashes(response):
    return re.findall(r'<p class="flash flash-(\w+)">([^<]*)</p>', response.get_data(as_text=True))


def is_signed_in(client):
    return client.get("/dashboard").status_code == 200


class Outbox:
    """The mails the file backend writes under <instance>/outbox, new ones since creation."""

    def __init__(self, app):
        self.folder = Path(app.instance_path) / "outbox"
        self.seen = self.files()

    def files(self):
        return set(self.folder.glob("*.eml")) if self.folder.exists() else set()

    def new(self):
        messages = [email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in self.files() - self.seen]
        return messages

    def reset_link(self, to):
        mails = [message for message in self.new() if message["To"] == to]
        assert len(mails) == 1, f"expected one mail to {to}, found {len(mails)}"
        match = RESET_LINK.search(mails[0].get_content())
        assert match, mails[0].get_content()
        return match.group(1)


@pytest.fixture
def outbox(app):
    return Outbox(app)


# ---------------------------------------------------------------- sign-up


def test_register_creates_a_trainee_and_signs_them_in(app, client, submit):
    response = submit("/account/register", registration(address="Aigerim@Example.KZ"))

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    user = find_user_by_email(app, "aigerim@example.kz")
    assert user is not None
    assert user.email == "aigerim@example.kz"
    assert user.role == "trainee"
    assert user.active
    assert user.locale == "ru"
    assert user.check_password(PASSWORD)
    assert is_signed_in(client)
    entries = audit_entries(app, "user.registered", target="aigerim@example.kz")
    assert len(entries) == 1
    assert entries[0]["actor_id"] == user.id


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short1", None, "Use at least 10 characters."),
        ("password1234", None, "This password is too common"),
        ("PASSWORD1234", None, "This password is too common"),
        (PASSWORD, PASSWORD + "!", "The two passwords differ."),
    ],
    ids=["too-short", "common", "common-any-case", "mismatch"],
)
def test_register_refuses_bad_passwords(app, client, submit, password, confirm, message):
    assert "password1234" in services.common_passwords()  # what the "common" case relies on

    response = submit("/account/register", registration(password=password, confirm=confirm))

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert find_user_by_email(app, "aigerim@example.kz") is None
    assert not is_signed_in(client)
    assert audit_entries(app, "user.registered", target="aigerim@example.kz") == []


def test_register_refuses_an_email_already_in_use(app, client, submit, create_user):
    existing = create_user(email="taken@example.kz", name="First Owner")

    response = submit("/account/register", registration(name="Second Comer", address="TAKEN@example.kz"))

    assert response.status_code == 200
    assert "An account with this email already exists" in response.get_data(as_text=True)
    with app.app_context():
        owners = db.session.scalars(select(User).where(User.email.ilike("taken@example.kz"))).all()
        assert [(owner.id, owner.name) for owner in owners] == [(existing.id, "First Owner")]
    assert find_user_by_email(app, existing.email).check_password(PASSWORD)
    assert not is_signed_in(client)


def test_admin_can_close_self_registration(app, client, submit, auth, login_as):
    assert 'href="/account/register"' in client.get("/account/login").get_data(as_text=True)
    login_as("admin")

    response = submit("/admin/settings", {})  # the self-registration box left unticked
    assert response.status_code == 302
    assert audit_entries(app, "settings.changed", target="self_registration")[-1]["details"]["new"] is False
    auth.logout()

    page = client.get("/account/register")
    assert page.status_code == 403
    assert submit("/account/register", registration()).status_code == 403
    assert find_user_by_email(app, "aigerim@example.kz") is None
    assert 'href="/account/register"' not in client.get("/account/login").get_data(as_text=True)


def test_admin_can_reopen_self_registration(client, submit, auth, login_as):
    login_as("admin")
    submit("/admin/settings", {})
    submit("/admin/settings", {"self_registration": "y"})
    auth.logout()

    assert client.get("/account/register").status_code == 200
    assert 'href="/account/register"' in client.get("/account/login").get_data(as_text=True)


# ---------------------------------------------------------------- sign-in


def test_login_redirects_to_the_dashboard(client, auth, create_user):
    user = create_user()

    response = auth.login(user)

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert is_signed_in(client)


def test_login_with_a_wrong_password_shows_a_message(client, auth, create_user):
    user = create_user()

    response = auth.login(user, password="not the password at all")

    assert response.status_code == 200
    assert ("error", "The email or password is not correct.") in flashes(response)
    assert not is_signed_in(client)


def test_login_of_an_unknown_email_shows_the_same_message(client, auth):
    response = auth.login("nobody@example.kz")

    assert response.status_code == 200
    assert ("error", "The email or password is not correct.") in flashes(response)


def test_inactive_user_cannot_sign_in(client, auth, create_user):
    user = create_user(active=False)

    response = auth.login(user)

    assert response.status_code == 200
    assert ("error", "The email or password is not correct.") in flashes(response)
    assert not is_signed_in(client)


def test_login_email_is_case_insensitive(client, auth, create_user):
    create_user(email="dana@example.kz")

    response = auth.login("  DANA@Example.KZ ")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_login_is_audited_with_the_address(app, client, create_user):
    user = create_user()
    token = csrf_token(client)

    client.post(
        "/account/login",
        data={"email": user.email, "password": "wrong guess 123", "csrf_token": token},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    client.post(
        "/account/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "203.0.113.8"},
    )

    failed = audit_entries(app, "auth.login_failed", target=user.email)
    assert [(e["ip"], e["actor_id"]) for e in failed] == [("203.0.113.7", None)]
    succeeded = audit_entries(app, "auth.login", target=user.email)
    assert [(e["ip"], e["actor_id"]) for e in succeeded] == [("203.0.113.8", user.id)]
    assert find_user_by_email(app, user.email).last_login_at is not None


def test_failed_login_for_an_unknown_email_is_audited(app, auth):
    auth.login("Ghost@Example.kz", password="whatever it is")

    entries = audit_entries(app, "auth.login_failed", target="ghost@example.kz")
    assert len(entries) == 1
    assert entries[0]["ip"] == "127.0.0.1"


def test_remember_me_sets_a_remember_cookie(client, auth, create_user):
    user = create_user()

    auth.login(user, remember="y")

    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.http_only


def test_no_remember_cookie_without_remember_me(client, auth, create_user):
    auth.login(create_user())

    assert client.get_cookie("remember_token") is None


def test_remember_cookie_restores_the_session(app, client, auth, create_user):
    auth.login(create_user(), remember="y")
    remember = client.get_cookie("remember_token").value

    fresh = app.test_client()
    assert fresh.get("/dashboard").status_code == 302
    fresh.set_cookie("remember_token", remember)
    assert fresh.get("/dashboard").status_code == 200


def test_login_starts_a_fresh_session(client, auth, create_user):
    user = create_user()
    client.get("/")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["locale"] = "kk"
    before = client.get_cookie("session").value

    auth.login(user)

    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "kk"  # the chosen language survives sign-in


# ---------------------------------------------------------------- sign-out


def test_logout_requires_post(client, login_as):
    login_as()

    assert client.get("/account/logout").status_code == 405
    assert is_signed_in(client)


def test_logout_ends_the_session(client, auth, login_as):
    login_as()

    response = auth.logout()

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 302
    assert dashboard.headers["Location"].startswith("/account/login")


def test_logout_ends_a_remembered_session(client, auth, create_user):
    auth.login(create_user(), remember="y")

    auth.logout()

    assert client.get_cookie("remember_token") is None
    assert not is_signed_in(client)


# ---------------------------------------------------------------- password reset


def test_password_reset_round_trip(app, client, submit, auth, create_user, outbox):
    user = create_user(email="reset@example.kz")

    response = submit("/account/forgot", {"email": "Reset@Example.kz"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login"

    link = outbox.reset_link("reset@example.kz")
    page = client.get(link)
    assert page.status_code == 200
    response = submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login"

    assert auth.login(user, password=PASSWORD).status_code == 200
    assert auth.login(user, password=NEW_PASSWORD).status_code == 302
    assert is_signed_in(client)
    assert len(audit_entries(app, "auth.password_link_sent", target=user.email)) == 1
    assert len(audit_entries(app, "auth.password_changed", target=user.email)) == 1


def test_password_reset_link_works_only_once(client, submit, auth, create_user, outbox):
    user = create_user()
    submit("/account/forgot", {"email": user.email})
    link = outbox.reset_link(user.email)
    submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    again = client.get(link)
    assert again.status_code == 302
    assert again.headers["Location"] == "/account/forgot"
    response = submit(link, {"password": "yet another new phrase", "confirm": "yet another new phrase"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/forgot"

    assert auth.login(user, password="yet another new phrase").status_code == 200
    assert auth.login(user, password=NEW_PASSWORD).status_code == 302


def test_password_reset_refuses_a_weak_password(client, submit, auth, create_user, outbox):
    user = create_user()
    submit("/account/forgot", {"email": user.email})
    link = outbox.reset_link(user.email)

    response = submit(link, {"password": "password1234", "confirm": "password1234"})

    assert response.status_code == 200
    assert "too common" in response.get_data(as_text=True)
    assert auth.login(user).status_code == 302  # the old password still works


def test_expired_password_reset_link_is_refused(app, client, submit, auth, create_user, outbox, monkeypatch):
    user = create_user()
    submit("/account/forgot", {"email": user.email})
    link = outbox.reset_link(user.email)

    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    page = client.get(link)
    response = submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert page.status_code == 302
    assert page.headers["Location"] == "/account/forgot"
    assert response.headers["Location"] == "/account/forgot"
    monkeypatch.undo()
    assert auth.login(user, password=NEW_PASSWORD).status_code == 200
    assert auth.login(user).status_code == 302


def test_tampered_password_reset_link_is_refused(client, submit, create_user, outbox):
    user = create_user()
    submit("/account/forgot", {"email": user.email})
    link = outbox.reset_link(user.email)

    response = client.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB"))

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/forgot"


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, submit, create_user, outbox):
    user = create_user()

    known = submit("/account/forgot", {"email": user.email}, follow_redirects=True)
    assert len(outbox.new()) == 1
    outbox.seen = outbox.files()
    unknown = submit("/account/forgot", {"email": "nobody@example.kz"}, follow_redirects=True)

    assert outbox.new() == []
    assert unknown.status_code == known.status_code == 200
    assert unknown.request.path == known.request.path == "/account/login"
    assert flashes(unknown) == flashes(known)
    assert flashes(unknown)[0][0] == "success"


def test_password_reset_sends_nothing_to_an_inactive_user(submit, create_user, outbox):
    user = create_user(active=False)

    response = submit("/account/forgot", {"email": user.email})

    assert response.status_code == 302
    assert outbox.new() == []


# ---------------------------------------------------------------- password change


def test_password_change_signs_out_other_sessions_only(app, client, submit, auth, create_user):
    user = create_user()
    auth.login(user)
    other_device = app.test_client()
    assert type(auth)(other_device).login(user, remember="y").status_code == 302
    assert is_signed_in(other_device)
    remembered_device = app.test_client()
    remembered_device.set_cookie("remember_token", other_device.get_cookie("remember_token").value)
    assert is_signed_in(remembered_device)

    response = submit(
        "/account/password", {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/profile"
    assert client.get("/account/profile").status_code == 200
    elsewhere = other_device.get("/dashboard")
    assert elsewhere.status_code == 302
    assert elsewhere.headers["Location"].startswith("/account/login")
    assert not is_signed_in(remembered_device)  # the remember cookie died with the old password
    assert find_user_by_email(app, user.email).check_password(NEW_PASSWORD)


def test_password_change_needs_the_current_password(app, client, submit, login_as):
    user = login_as()

    response = submit(
        "/account/password",
        {"current_password": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 400
    assert "The current password is not correct." in response.get_data(as_text=True)
    assert find_user_by_email(app, user.email).check_password(PASSWORD)


def test_password_change_refuses_the_users_own_email(app, submit, login_as):
    user = login_as(email="longaddress@example.kz")

    response = submit(
        "/account/password",
        {"current_password": PASSWORD, "password": user.email, "confirm": user.email},
    )

    assert response.status_code == 400
    assert find_user_by_email(app, user.email).check_password(PASSWORD)


# ---------------------------------------------------------------- deactivation


def test_deactivation_ends_the_users_session(app, client, submit, login_as, create_user, auth):
    trainee = create_user()
    trainee_client = app.test_client()
    assert type(auth)(trainee_client).login(trainee).status_code == 302
    login_as("admin")

    response = submit(f"/admin/users/{trainee.id}/deactivate")

    assert response.status_code == 302
    assert not find_user_by_email(app, trainee.email).active
    after = trainee_client.get("/dashboard")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/account/login")
    assert type(auth)(trainee_client).login(trainee).status_code == 200


# ---------------------------------------------------------------- rate limiting


def failed_login(client, address, remote_addr="127.0.0.1", password="wrong guess 123"):
    return client.post(
        "/account/login",
        data={"email": address, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": remote_addr},
    )


def assert_too_many(response):
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "Too many attempts" in body
    assert 'class="site-header"' in body  # the site's own page, not a bare error


def test_eleventh_failed_sign_in_from_one_address_is_refused(client, create_user):
    users = [create_user() for _ in range(11)]

    for user in users[:10]:
        assert failed_login(client, user.email).status_code == 200

    assert_too_many(failed_login(client, users[10].email))
    # the address is blocked, whatever the account and even with the right password
    assert_too_many(failed_login(client, users[10].email, password=PASSWORD))
    # another address is not
    assert failed_login(client, users[10].email, remote_addr="198.51.100.1", password=PASSWORD).status_code == 302


def test_eleventh_failed_sign_in_against_one_account_is_refused(app, client, create_user):
    user = create_user()

    for number in range(10):
        assert failed_login(client, user.email, remote_addr=f"198.51.100.{number + 1}").status_code == 200

    assert_too_many(failed_login(client, user.email, remote_addr="198.51.100.99"))
    assert_too_many(failed_login(client, user.email.upper(), remote_addr="198.51.100.98", password=PASSWORD))
    # other accounts can still sign in
    other = create_user()
    fresh = app.test_client()
    assert failed_login(fresh, other.email, remote_addr="198.51.100.97", password=PASSWORD).status_code == 302


def test_successful_sign_ins_do_not_count_towards_the_limit(app, client, auth, create_user):
    user = create_user()

    for _ in range(9):
        assert failed_login(client, user.email).status_code == 200
    for _ in range(3):
        assert failed_login(client, user.email, password=PASSWORD).status_code == 302
        auth.logout()
    assert failed_login(client, user.email).status_code == 200  # the tenth failure
    assert_too_many(failed_login(client, user.email))
