"""The real client address, believed from forwarding headers only when a trusted proxy sent them.

`TIEPDON_TRUSTED_PROXIES` lists the proxies (IPs or CIDRs, IPv4 and IPv6); empty trusts nobody.
Rate limits, connection caps, logs and the audit all read the one address this decides.

Why not werkzeug's ProxyFix: it believes a fixed number of X-Forwarded-For hops from whoever
connects, so a client that reaches the server directly (a port left open on the hospital network)
picks its own address by sending the header, and a chain of proxies of varying length is counted
wrong. Here the headers count only when the direct peer is a trusted proxy, and the client is the
right-most forwarded address that is not itself a trusted proxy: what lies left of that hop was
written by the client and is never believed.
"""
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

# Everything a client could send to pose as the proxy; removed when the peer is not one.
_FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                       "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_X_REAL_IP", "HTTP_FORWARDED")
_SCHEMES = ("http", "https")


class InvalidTrustedProxies(ValueError):
    pass


def parse_trusted_proxies(raw: str | Iterable[str] | None) -> tuple[Network, ...]:
    """'10.0.0.5, 2001:db8::/64' → networks; refuses anything else with a message in both languages."""
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    networks = []
    for item in items:
        if isinstance(item, (IPv4Network, IPv6Network)):
            networks.append(item)
            continue
        text = str(item).strip()
        if not text:
            continue
        try:
            networks.append(ip_network(text, strict=False))
        except ValueError:
            raise InvalidTrustedProxies(
                f"TIEPDON_TRUSTED_PROXIES không hợp lệ: {text!r} không phải địa chỉ IP hay dải CIDR "
                "(ví dụ: 10.0.0.5, 2001:db8::/64).\n"
                f"TIEPDON_TRUSTED_PROXIES is invalid: {text!r} is not an IP address or CIDR range "
                "(e.g. 10.0.0.5, 2001:db8::/64).") from None
    return tuple(networks)


def _address(text: str | None) -> Address | None:
    """An address as proxies write it: bare, '[v6]:port' or 'v4:port'; IPv4-mapped IPv6 as IPv4."""
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        addr = ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _trusted(addr: Address, trusted: tuple[Network, ...]) -> bool:
    return any(addr.version == net.version and addr in net for net in trusted)


def is_trusted_proxy(peer: str, trusted: tuple[Network, ...]) -> bool:
    addr = _address(peer)
    return addr is not None and _trusted(addr, trusted)


def forwarded_client(peer: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address: the direct peer, unless the peer is a trusted proxy; then the right-most
    X-Forwarded-For entry that is not a trusted proxy (the left-most if all are). A malformed entry
    stops the walk at the last address a trusted proxy vouched for."""
    if not trusted or not forwarded_for or not is_trusted_proxy(peer, trusted):
        return peer
    client = _address(peer)
    for hop in reversed(forwarded_for.split(",")):
        addr = _address(hop)
        if addr is None:
            break
        client = addr
        if not _trusted(addr, trusted):
            break
    return str(client)


def _right_most(value: str | None) -> str:
    """The value the proxy nearest to us wrote (a client may prefix its own)."""
    return (value or "").split(",")[-1].strip()


class TrustedProxies:
    """WSGI middleware: for a trusted peer, REMOTE_ADDR becomes the forwarded client and the scheme
    and host the ones the proxy saw; for any other peer the forwarding headers are removed, so no
    later layer (Engine.IO's same-origin check reads X-Forwarded-Host) can be fooled by them."""

    def __init__(self, app, trusted: tuple[Network, ...]):
        self.app = app
        self.trusted = trusted

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        if self.trusted and is_trusted_proxy(peer, self.trusted):
            environ["tiepdon.proxy"] = peer
            environ["REMOTE_ADDR"] = forwarded_client(peer, environ.get("HTTP_X_FORWARDED_FOR"), self.trusted)
            proto = _right_most(environ.get("HTTP_X_FORWARDED_PROTO")).lower()
            if proto in _SCHEMES:
                environ["wsgi.url_scheme"] = environ["HTTP_X_FORWARDED_PROTO"] = proto
            else:
                environ.pop("HTTP_X_FORWARDED_PROTO", None)
            host = _right_most(environ.get("HTTP_X_FORWARDED_HOST"))
            if host and all(c.isalnum() or c in ".-:[]" for c in host):
                environ["HTTP_HOST"] = environ["HTTP_X_FORWARDED_HOST"] = host
            else:
                environ.pop("HTTP_X_FORWARDED_HOST", None)
        else:
            for header in _FORWARDING_HEADERS:
                environ.pop(header, None)
        return self.app(environ, start_response)
