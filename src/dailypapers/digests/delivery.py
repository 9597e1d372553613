"""Handing a digest to the SMTP server: one connection for the run, temporary failures
retried with exponential back-off, permanent ones (bounces) told apart."""

import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection


class SendAborted(Exception):
    """The run cannot go on (SMTP server unreachable, sender refused): what was
    not sent stays owed to the next run."""


@dataclass
class Outcome:
    delivered: bool
    # 5xx: the server refused for good; else a temporary failure that outlived the retries.
    permanent: bool = False
    error: str = ""


class Mailer:
    """One SMTP connection for the run; temporary failures retried with exponential back-off."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep):
        self.backend = get_connection(fail_silently=False)
        self.sleep = sleep
        # Retries over the run, for its report.
        self.retries = 0

    def send(self, message: EmailMultiAlternatives) -> Outcome:
        error, reachable = "", True
        for attempt in range(settings.DIGEST_SEND_RETRIES + 1):
            if attempt:
                self.retries += 1
                self.sleep(settings.DIGEST_RETRY_DELAY * 2 ** (attempt - 1))
            try:
                self.backend.open()
                self.backend.send_messages([message])
                return Outcome(delivered=True)
            except ValueError as failure:
                # An address Django cannot put in a header (one stored by other
                # means than the subscribe form): no server will ever take it.
                return Outcome(delivered=False, permanent=True, error=f"invalid address: {failure}")
            except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as failure:
                # Our sender or credentials: every message would fail the same way.
                self.close()
                raise SendAborted(f"the SMTP server refuses our sender: {failure}") from None
            except smtplib.SMTPRecipientsRefused as failure:
                code, text = next(iter(failure.recipients.values()))
                error, reachable = _reply(code, text), True
            except (smtplib.SMTPConnectError, smtplib.SMTPHeloError) as failure:
                # A greeting refused is about the server, never about this recipient.
                code, error, reachable = None, _reply(failure.smtp_code, failure.smtp_error), False
            except smtplib.SMTPResponseException as failure:
                code, error = failure.smtp_code, _reply(failure.smtp_code, failure.smtp_error)
                reachable = True
            except (smtplib.SMTPException, OSError) as failure:
                # Disconnected, refused, timed out.
                code, error, reachable = None, f"{type(failure).__name__}: {failure}", False
            # After any failure the session may be half-way through a transaction
            # or gone: the next attempt or message starts a fresh one.
            self.close()
            if code is not None and 500 <= code < 600:
                return Outcome(delivered=False, permanent=True, error=error)
        if not reachable:
            raise SendAborted(f"cannot reach the SMTP server: {error}")
        return Outcome(delivered=False, error=error)

    def close(self) -> None:
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            self.backend.connection = None


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}"
