"""Outgoing mail that a person waits for: subscribe confirmations, password resets.

Without a mail server the site must still answer, so a send either succeeds or
raises MailUnavailable with a sentence the page can show; nothing is a 500.
(Digests have their own retrying sender: digests/delivery.py.)
"""

import smtplib
import socket

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email

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


def validate_address(address: str) -> None:
    """Refuse what cannot stand alone in a To header as one plain address (ValidationError).

    Every form that takes an address someone will be mailed at checks it here.
    Django's validator alone accepts quoted local parts holding control characters
    (``"x\\x0bBcc:…"@host``, which Python's email package turns into a line break
    in the header) and any Unicode in the domain, line separators included, which
    IDNA cannot encode (the send fails). An address here is printable, unquoted,
    and its domain has an ASCII form.
    """
    if not address.isprintable() or '"' in address:
        raise ValidationError(
            "An email address cannot contain quotes, line breaks or control characters."
        )
    validate_email(address)
    try:
        address.rpartition("@")[2].encode("idna")
    except UnicodeError:
        raise ValidationError("This email address's domain name cannot exist.") from None


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
