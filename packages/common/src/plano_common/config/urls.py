"""Splitting URLs and `host[:port]` strings of the config into their parts."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import msgspec

from plano_common.config.errors import ConfigError, ConfigPath, quote

__all__ = ["DEFAULT_PORTS", "UrlParts", "split_host_port", "split_url"]

DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlParts(msgspec.Struct, frozen=True):
    """scheme, host, port and path prefix (None when the path is empty or `/`)."""

    scheme: str
    host: str
    port: int
    path_prefix: str | None


def split_url(
    url: str, path: ConfigPath, *, example: str = "https://api.example.com/v1"
) -> UrlParts:
    """Split an http(s) URL; raise ConfigError naming `path` when it is not one."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise ConfigError(
            f"{quote(url)} is not a valid URL, e.g. {quote(example)}", path=path
        ) from None
    if parts.scheme not in DEFAULT_PORTS:
        raise ConfigError(
            f"{quote(url)} must be an http:// or https:// URL, e.g. {quote(example)}", path=path
        )
    if not parts.hostname:
        raise ConfigError(f"{quote(url)} has no host, e.g. {quote(example)}", path=path)
    if parts.query or parts.fragment:
        raise ConfigError(f"{quote(url)} must not have a query string or fragment", path=path)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ConfigError(f"{quote(url)} has an invalid port; use a port 1-65535", path=path)
    if port is None:
        port = DEFAULT_PORTS[parts.scheme]
    prefix = parts.path.rstrip("/") or None
    return UrlParts(scheme=parts.scheme, host=parts.hostname, port=port, path_prefix=prefix)


def split_host_port(text: str, default_port: int, path: ConfigPath) -> tuple[str, int]:
    """Split `host`, `host:port`, `[ipv6]`, `[ipv6]:port` or a bare IPv6 address."""
    value = text.strip()
    if value.startswith("["):
        host, closing, rest = value[1:].partition("]")
        if not closing or (rest and not rest.startswith(":")):
            raise ConfigError(f'{quote(text)} must be "[ipv6]" or "[ipv6]:port"', path=path)
        port_text = rest[1:]
        has_port = bool(rest)
    elif value.count(":") > 1:
        host, port_text, has_port = value, "", False
        if not _is_ipv6(host):
            raise ConfigError(
                f'{quote(text)} is not "host:port"; write an IPv6 address as "[addr]:port"',
                path=path,
            )
    else:
        host, colon, port_text = value.partition(":")
        has_port = bool(colon)
    if not host or any(char.isspace() or char in "/@?#" for char in host):
        raise ConfigError(f'{quote(text)} must be "host" or "host:port"', path=path)
    if not has_port:
        return host, default_port
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(
            f'{quote(text)} has an invalid port; use "host:port" with a port 1-65535', path=path
        )
    return host, int(port_text)


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True
