"""Outgoing mail that a person waits for: subscribe confirmations, password resets.

Without a mail server the site must still answer, so a send either succeeds or
raises MailUnavailable with a sentence the page can show; nothing is a 500.
(Digests have their own retrying sender: digests/sending.py.)
"""

import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
# How long `serve` waits for the mail server when it says whether it answers.
PROBE_SECONDS = 3


class MailUnavailable(Exception):
    """The message was not sent; str() says why, in words for the person who asked."""


SERVER_DOWN = (
    "We could not send the email: this site's mail server is not answering. "
    "Nothing was lost; please try again in a few minutes."
)


def send(message: EmailMessage) -> None:
    """Send ``message`` or raise MailUnavailable."""
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as refused:
        code, reply = next(iter(refused.recipients.values()))
        reply = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        raise MailUnavailable(f"The mail server refused this address: {code} {reply}") from None
    except (smtplib.SMTPException, OSError):
        raise MailUnavailable(SERVER_DOWN) from None


def check_server() -> None:
    """Open and close a connection to the mail server, or raise MailUnavailable.

    For answers that must not depend on the address typed (password reset: whether
    an account exists stays secret), the server is checked before anything is sent.
    """
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
        connection.close()
    except (smtplib.SMTPException, OSError):
        raise MailUnavailable(SERVER_DOWN) from None


def describe_setup() -> str:
    """Where email goes, in one line for `serve` to print at start."""
    backend = settings.EMAIL_BACKEND
    if backend == FILE_BACKEND:
        return (
            f"Email: no mail server is configured (EMAIL_HOST), so confirmation and "
            f"password-reset emails are written to files in {settings.EMAIL_FILE_PATH}"
        )
    if backend == CONSOLE_BACKEND:
        return "Email: printed on this console (EMAIL_BACKEND), not sent"
    if backend != SMTP_BACKEND:
        return f"Email: sent by {backend}"
    address = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    try:
        socket.create_connection((settings.EMAIL_HOST, settings.EMAIL_PORT), PROBE_SECONDS).close()
    except OSError as error:
        return (
            f"Email: the mail server {address} does not answer ({error}): subscribe and "
            "password-reset emails fail with a message until it does. Set EMAIL_HOST, or "
            "unset it to write emails to files."
        )
    return f"Email: sent through the mail server {address}"
