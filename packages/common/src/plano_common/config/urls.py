"""Splitting URLs and `host[:port]` strings of the config into their parts."""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec

from plano_common.config.errors import ConfigError, ConfigPath, quote

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
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ConfigError(f"{quote(url)} has an invalid port", path=path) from None
    prefix = parts.path.rstrip("/") or None
    return UrlParts(scheme=parts.scheme, host=parts.hostname, port=port, path_prefix=prefix)


def split_host_port(text: str, default_port: int, path: ConfigPath) -> tuple[str, int]:
    """Split `host`, `host:port` or `[ipv6]:port`."""
    value = text.strip()
    host, _, port_text = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    if value.startswith("["):
        closing = value.find("]")
        host, port_text = value[1:closing], value[closing + 2 :]
    if not host:
        raise ConfigError(f'{quote(text)} must be "host" or "host:port"', path=path)
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(
            f'{quote(text)} has an invalid port; use "host:port" with a port 1-65535', path=path
        )
    return host, int(port_text)
