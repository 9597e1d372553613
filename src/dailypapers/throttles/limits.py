"""What is limited, for whom, and how a refusal reads.

An action has up to two buckets (buckets.py), with rates from settings: one
per client network, checked first so that a client spraying accounts or
addresses is stopped before it can drain theirs, and one per account (a user, a
username typed at login, an email address). Bucket keys hold a hash of the
account, never the name or address itself.

The client is the request's peer: its IPv4 address, or its IPv6 /64 (one host
usually holds a whole /64). Behind a reverse proxy listed in
DAILYPAPERS_TRUSTED_PROXIES, it is the address the proxies say they received
the request from (X-Forwarded-For, read from the right); that header from any
other peer is the client's own invention and ignored.
"""

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

from . import buckets

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Action:
    name: str
    # What is counted, for the refusal: "Too many failed logins for this account."
    counted: str
    # The settings holding the rates, or None when the action has no such bucket.
    account_rate: str | None
    client_rate: str | None
    # Whose bucket ran out, for the refusal.
    account_is: str = "for this account"


LOGIN = Action("login", "failed logins", "RATE_LOGIN_PER_ACCOUNT", "RATE_LOGIN_PER_CLIENT")
PASSWORD_RESET = Action(
    "password-reset",
    "password-reset emails",
    "RATE_PASSWORD_RESET_PER_ACCOUNT",
    "RATE_PASSWORD_RESET_PER_CLIENT",
    account_is="to this address",
)
SIGNUP = Action("signup", "new accounts", None, "RATE_SIGNUP_PER_CLIENT")
# Sign-up's second half: the emails that verify an account's address.
VERIFICATION_EMAIL = Action("verify-email", "verification emails", "RATE_SIGNUP_PER_ACCOUNT", None)
COMMENT = Action("comment", "comments", "RATE_COMMENT_PER_ACCOUNT", "RATE_COMMENT_PER_CLIENT")
VOTE = Action("vote", "votes", "RATE_VOTE_PER_ACCOUNT", "RATE_VOTE_PER_CLIENT")
SUBMIT = Action("submit", "submissions", "RATE_SUBMIT_PER_ACCOUNT", "RATE_SUBMIT_PER_CLIENT")
# Papers queued for a fetch from arXiv: per client, since anonymous visitors may ask too.
FETCH = Action("fetch", "papers asked for from arXiv", None, "FETCH_RATE_PER_CLIENT")
SUBSCRIBE = Action(
    "subscribe",
    "subscribe requests",
    "DIGEST_RATE_PER_ADDRESS",
    "DIGEST_RATE_PER_CLIENT",
    account_is="for this address",
)


class Throttled(Exception):
    """Too many requests; ``retry_after`` is the whole seconds until the next is allowed."""

    def __init__(self, action: Action, scope: str, wait: float):
        self.action = action
        self.scope = scope  # "client" or "account"
        self.retry_after = max(1, math.ceil(wait))
        whose = "from your network" if scope == "client" else action.account_is
        super().__init__(
            f"Too many {action.counted} {whose}. Try again in {_duration(self.retry_after)}."
        )


def check(action: Action, *, client: str | None = None, account: object = None) -> None:
    """Count one ``action`` against the client's bucket, then the account's; raise Throttled.

    ``client`` is client_key(request); ``account`` anything that names the
    account (a user's id, a username as typed, an address). A bucket the action
    does not have, or an identity not given, is not counted.
    """
    for scope, identity, rate in _buckets(action, client, account):
        if wait := buckets.take(_key(action, scope, identity), rate):
            raise Throttled(action, scope, wait)


def give_back(action: Action, *, client: str | None = None, account: object = None) -> None:
    """Undo check(): what was counted did not happen (a login that succeeded, a mail not sent)."""
    for scope, identity, rate in _buckets(action, client, account):
        buckets.give_back(_key(action, scope, identity), rate)


def _buckets(action: Action, client: str | None, account: object):
    if client is not None and action.client_rate:
        yield "client", client, getattr(settings, action.client_rate)
    if account is not None and action.account_rate:
        yield "account", account, getattr(settings, action.account_rate)


def _key(action: Action, scope: str, identity: object) -> str:
    if scope == "account":
        identity = hashlib.sha256(str(identity).casefold().encode()).hexdigest()
    return f"{action.name}:{scope}:{identity}"


def client_key(request: HttpRequest) -> str:
    """The requester's network, as a bucket names it: "192.0.2.7/32", "2001:db8::/64"."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    # "*" trusts every peer's header, but makes no address inside it a proxy:
    # reading past those would reach what the client wrote itself.
    if forwarded and ("*" in settings.TRUSTED_PROXIES or _is_proxy(address)):
        # Each proxy appends the address it received the request from; the first
        # one from the right that is not one of our proxies is the client.
        for hop in reversed([hop.strip() for hop in forwarded.split(",")]):
            address = hop
            if not _is_proxy(hop):
                break
    ip = _ip(address)
    if ip is None:
        return "unknown"
    prefix = 64 if ip.version == 6 else 32
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address, IPv4 for an IPv4-mapped one (a dual-stack socket's "::ffff:192.0.2.7")."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped else ip


def _is_proxy(address: str) -> bool:
    ip = _ip(address)
    return ip is not None and any(
        ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES))
    )


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> list[IPNetwork]:
    return [ipaddress.ip_network(value) for value in trusted if value != "*"]


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 90 * 60:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"
