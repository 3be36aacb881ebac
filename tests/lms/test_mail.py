"""Mail through SMTP, against a real SMTP server running in the test."""
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from tests.conftest import csrf_token, free_port


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_password_reset_mail_goes_out_through_smtp(app, client, create_user, smtp_server, monkeypatch):
    controller, inbox = smtp_server
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    user = create_user(locale="ru")

    response = client.post("/account/forgot", data={"email": user.email, "csrf_token": csrf_token(client)})

    assert response.status_code == 302
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == user.email
    assert "/account/reset/" in message.get_payload(decode=True).decode()
