"""The client address behind trusted proxies: the pure rule and the WSGI middleware around it."""
import pytest

from backend.client_address import (
    InvalidTrustedProxies,
    TrustedProxies,
    forwarded_client,
    parse_trusted_proxies,
)

NGINX = parse_trusted_proxies("10.0.0.5, 2001:db8:1::/64")
TWO_HOPS = parse_trusted_proxies("10.0.0.0/24,192.0.2.1")


def test_nobody_is_trusted_by_default():
    assert parse_trusted_proxies("") == ()
    assert parse_trusted_proxies(None) == ()
    assert forwarded_client("10.0.0.5", "203.0.113.9", ()) == "10.0.0.5"


def test_an_untrusted_peer_keeps_its_own_address_whatever_it_forwards():
    assert forwarded_client("198.51.100.7", "203.0.113.9", NGINX) == "198.51.100.7"
    assert forwarded_client("10.0.0.6", "203.0.113.9", NGINX) == "10.0.0.6"


def test_a_trusted_peer_gives_the_right_most_forwarded_address():
    assert forwarded_client("10.0.0.5", "203.0.113.9", NGINX) == "203.0.113.9"
    # what the client wrote itself sits left of what nginx appended: never believed
    assert forwarded_client("10.0.0.5", "1.2.3.4, 203.0.113.9", NGINX) == "203.0.113.9"
    assert forwarded_client("10.0.0.5", None, NGINX) == "10.0.0.5"
    assert forwarded_client("10.0.0.5", "  ", NGINX) == "10.0.0.5"


def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop():
    assert forwarded_client("192.0.2.1", "6.6.6.6, 203.0.113.9, 10.0.0.7", TWO_HOPS) == "203.0.113.9"
    # every hop trusted: the left-most one is the best we know
    assert forwarded_client("192.0.2.1", "10.0.0.3, 10.0.0.7", TWO_HOPS) == "10.0.0.3"


def test_garbage_in_the_header_stops_the_walk_at_the_last_address_we_can_vouch_for():
    assert forwarded_client("10.0.0.5", "unknown", NGINX) == "10.0.0.5"
    assert forwarded_client("192.0.2.1", "203.0.113.9, not-an-ip, 10.0.0.7", TWO_HOPS) == "10.0.0.7"


def test_ipv6_ports_brackets_and_mapped_addresses():
    assert forwarded_client("2001:db8:1::2", "2001:db8:ffff::9", NGINX) == "2001:db8:ffff::9"
    assert forwarded_client("2001:db8:1::2", "[2001:db8:ffff::9]:51234", NGINX) == "2001:db8:ffff::9"
    assert forwarded_client("10.0.0.5", "203.0.113.9:4711", NGINX) == "203.0.113.9"
    assert forwarded_client("::ffff:10.0.0.5", "203.0.113.9", NGINX) == "203.0.113.9"
    assert forwarded_client("2001:db8:2::2", "203.0.113.9", NGINX) == "2001:db8:2::2"


@pytest.mark.parametrize("raw", ["10.0.0.300", "10.0.0.0/33", "nginx.local", "10.0.0.1,,x", "2001:db8::/129"])
def test_a_bad_setting_is_refused_in_both_languages(raw):
    with pytest.raises(InvalidTrustedProxies) as exc:
        parse_trusted_proxies(raw)
    message = str(exc.value)
    assert "TIEPDON_TRUSTED_PROXIES" in message
    assert "không hợp lệ" in message and "invalid" in message


def _seen(trusted, **environ):
    seen = {}

    def app(env, start_response):
        seen.update(env)
        start_response("204 No Content", [])
        return [b""]

    TrustedProxies(app, trusted)({"wsgi.url_scheme": "http", "HTTP_HOST": "backend:8000", **environ},
                                 lambda *a: None)
    return seen


def test_the_middleware_applies_address_scheme_and_host_only_for_a_trusted_peer():
    seen = _seen(NGINX, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9",
                 HTTP_X_FORWARDED_PROTO="http, https", HTTP_X_FORWARDED_HOST="evil, tiepdon.benhvien.vn")
    assert seen["REMOTE_ADDR"] == "203.0.113.9"
    assert seen["wsgi.url_scheme"] == "https" and seen["HTTP_HOST"] == "tiepdon.benhvien.vn"
    # what later layers (Engine.IO's same-origin check) read is the value we chose, not the client's
    assert seen["HTTP_X_FORWARDED_PROTO"] == "https" and seen["HTTP_X_FORWARDED_HOST"] == "tiepdon.benhvien.vn"


def test_the_middleware_strips_forwarding_headers_from_an_untrusted_peer():
    seen = _seen(NGINX, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9",
                 HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_HOST="tiepdon.benhvien.vn",
                 HTTP_FORWARDED="for=203.0.113.9")
    assert seen["REMOTE_ADDR"] == "198.51.100.7"
    assert seen["wsgi.url_scheme"] == "http" and seen["HTTP_HOST"] == "backend:8000"
    for header in ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_FORWARDED"):
        assert header not in seen
