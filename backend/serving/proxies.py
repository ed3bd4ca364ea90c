"""Which peers are trusted proxies (TIEPDON_TRUSTED_PROXIES: addresses and networks, comma-separated)."""
import ipaddress
from dataclasses import dataclass


class BadProxySetting(ValueError):
    pass


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple = ()

    @staticmethod
    def parse(raw: str | None) -> "TrustedProxies":
        networks = []
        for part in (raw or "").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise BadProxySetting(part) from None
        return TrustedProxies(tuple(networks))

    def contains(self, address: str | None) -> bool:
        if not self.networks or not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)
