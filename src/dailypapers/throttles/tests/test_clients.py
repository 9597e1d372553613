"""Who a client is: its network, and X-Forwarded-For only from trusted proxies."""

import pytest
from django.test import RequestFactory

from dailypapers.throttles.limits import client_key


def key(settings, peer: str, forwarded: str | None = None, proxies=("127.0.0.1", "::1")) -> str:
    settings.TRUSTED_PROXIES = list(proxies)
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_key(RequestFactory().get("/", REMOTE_ADDR=peer, **headers))


def test_a_client_is_its_ipv4_address_or_its_ipv6_64(settings):
    assert key(settings, "192.0.2.7") == "192.0.2.7/32"
    assert key(settings, "2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert key(settings, "2001:db8:1:2:ffff::1") == key(settings, "2001:db8:1:2::9")
    assert key(settings, "::ffff:192.0.2.7") == "192.0.2.7/32"  # a dual-stack socket's IPv4
    assert key(settings, "") == "unknown"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    assert key(settings, "192.0.2.7", "198.51.100.1") == "192.0.2.7/32"


def test_behind_a_trusted_proxy_the_client_is_the_last_address_it_forwarded(settings):
    # The client wrote "10.9.9.9" itself; the proxy appended the address it saw.
    assert key(settings, "127.0.0.1", "10.9.9.9, 198.51.100.1") == "198.51.100.1/32"
    assert key(settings, "::1", "2001:db8:5::1") == "2001:db8:5::/64"


def test_a_chain_of_trusted_proxies_is_read_from_the_right(settings):
    proxies = ("127.0.0.1", "10.0.0.0/8")
    assert key(settings, "127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3", proxies) == (
        "198.51.100.1/32"
    )
    # Only proxies: the first of them is the nearest thing to a client.
    assert key(settings, "127.0.0.1", "10.0.0.1, 10.0.0.2", proxies) == "10.0.0.1/32"


def test_any_peer_trusted_still_reads_only_the_last_hop(settings):
    assert key(settings, "192.0.2.7", "6.6.6.6, 198.51.100.1", ("*",)) == "198.51.100.1/32"


@pytest.mark.parametrize("forwarded", ["not an address", "", "198.51.100.1:4433"])
def test_a_malformed_forwarded_address_is_the_unknown_client(settings, forwarded):
    expected = "127.0.0.1/32" if forwarded == "" else "unknown"
    assert key(settings, "127.0.0.1", forwarded) == expected
