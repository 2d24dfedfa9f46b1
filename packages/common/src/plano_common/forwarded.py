"""Client-supplied forwarding headers (``Forwarded``, ``X-Forwarded-*``, ``X-Real-IP``).

Any client can claim any address or scheme in these headers, so a service drops them unless
the connection comes from a trusted proxy. ``PLANO_TRUSTED_PROXIES`` lists the proxies: IP
addresses and CIDR networks separated by commas (``10.0.0.0/8, 127.0.0.1``), or ``*`` to trust
every peer (the headers then pass as sent). Unset or empty: nobody is trusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TRUSTED_PROXIES_ENV",
    "TrustedProxies",
    "is_forwarding_header",
    "peer_host",
    "trusted_proxies_from_env",
]

TRUSTED_PROXIES_ENV = "PLANO_TRUSTED_PROXIES"
_NAMED = frozenset({"forwarded", "x-real-ip"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_forwarding_header(name: str) -> bool:
    """True for ``forwarded``, ``x-real-ip`` and every ``x-forwarded-*`` (lower-case name)."""
    return name in _NAMED or name.startswith("x-forwarded-")


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    """The peers whose forwarding headers are believed."""

    networks: tuple[Network, ...] = ()
    everyone: bool = False

    @classmethod
    def parse(cls, value: str, source: str = TRUSTED_PROXIES_ENV) -> TrustedProxies:
        """Parse a comma-separated list of addresses / networks, or ``*``; ValueError naming
        ``source`` on a bad entry."""
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        if entries == ["*"]:
            return cls(everyone=True)
        networks: list[Network] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"{source}: {entry!r} is not an IP address or network") from None
        return cls(tuple(networks))

    def trusts(self, peer: str | None) -> bool:
        """True when forwarding headers from ``peer`` (an IP address) are believed."""
        if self.everyone:
            return True
        if not self.networks or not peer:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def filter(self, headers: dict[str, str], peer: str | None) -> dict[str, str]:
        """``headers`` (lower-case names) without forwarding headers unless ``peer`` is
        trusted; the same dict when nothing is dropped."""
        if self.trusts(peer) or not any(is_forwarding_header(name) for name in headers):
            return headers
        return {k: v for k, v in headers.items() if not is_forwarding_header(k)}


def trusted_proxies_from_env(environ: Mapping[str, str]) -> TrustedProxies:
    """The trusted proxies named by ``PLANO_TRUSTED_PROXIES`` (none when unset)."""
    return TrustedProxies.parse(environ.get(TRUSTED_PROXIES_ENV, ""))


def peer_host(scope: Mapping[str, Any]) -> str | None:
    """The peer's IP address of an ASGI connection scope (None for a Unix socket)."""
    client = scope.get("client")
    if client and isinstance(client[0], str):
        return client[0]
    return None
