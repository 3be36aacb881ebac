"""Outgoing mail: written to <instance>/outbox/ by default, or sent through SMTP."""
import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def send(to, subject, body):
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="kelisim.local")
    message.set_content(body)
    if current_app.config["MAIL_BACKEND"] == "smtp":
        send_smtp(message)
    else:
        write_to_outbox(message)


def write_to_outbox(message):
    outbox = Path(current_app.instance_path) / "outbox"
    outbox.mkdir(exist_ok=True)
    path = outbox / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(bytes(message))
    log.info("Mail to %s (%s) written to %s", message["To"], message["Subject"], path)


def send_smtp(message):
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    log.info("Mail to %s (%s) sent through %s", message["To"], message["Subject"], config["MAIL_SERVER"])
