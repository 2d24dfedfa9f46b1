"""Logging for the services: secret masking on every record, text or JSON lines on stderr.

``configure_logging`` installs :class:`SecretMaskingFilter` on the root handlers and also masks
every record when it is created, so loggers with their own handlers (e.g. the HTTP server's
access log) cannot leak credentials either. Masked: Authorization values (``Bearer ***``),
``x-api-key``, ``api-key``, ``x-goog-api-key``, AWS access key ids, secret keys, session tokens
and signatures, provider key shapes (``sk-…``, ``AIza…``) and keys in URL query strings, in the
message, its arguments, extra fields and exception text.

Masking is linear in the length of the text and each string is clipped to
``MAX_MASKED_CHARS`` first, so hostile text (a megabyte model name) costs milliseconds, not a
stalled event loop.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from plano_common.clip import clip

__all__ = [
    "MASK",
    "MAX_MASKED_CHARS",
    "JsonFormatter",
    "SecretMaskingFilter",
    "configure_logging",
    "extra_fields",
    "mask_header_value",
    "mask_record",
    "mask_text",
    "mask_value",
]

MASK = "***"
MAX_MASKED_CHARS = 32 * 1024
"""Longer text is clipped before masking: a log field never needs more, and the masking time
of hostile text stays bounded."""

_SENSITIVE_NAMES = (
    "x-api-key",
    "api-key",
    "api_key",
    "apikey",
    "x-goog-api-key",
    "proxy-authorization",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-credential",
    "aws_secret_access_key",
    "aws_session_token",
    "secret_access_key",
    "session_token",
    "signature",
    "access_key",
    "secret_key",
    "client_secret",
    "password",
)
_SENSITIVE_KEYS = frozenset((*_SENSITIVE_NAMES, "authorization", "cookie", "set-cookie"))

# Between a header name and its value: `: `, `=`, or `', '` of a (name, value) pair.
_SEPARATOR = r"""(?:\s*+[:=]\s*+|(?<=["'])\s*,\s*b?(?=["']))"""
# `Bearer <token>` wherever it appears.
_BEARER = re.compile(r"(?i)\b(bearer)\s+(?!\*\*\*)[A-Za-z0-9\-._~+/=:]+")
# `Authorization: <scheme> <credentials>` or `authorization=<token>` not using Bearer.
_AUTHORIZATION = re.compile(
    r"""(?i)(["']?\b(?:proxy-)?authorization["']?"""
    + _SEPARATOR
    + r"""["']?+)(?!bearer\s)([^"'\r\n]+)"""
)
# `name: value`, `"name": "value"`, `name=value`, `('name', 'value')` for the sensitive names;
# a quoted value is masked up to its closing quote.
_NAMED_VALUE = re.compile(
    r"""(?i)(["']?(?<![\w-])(?:"""
    + "|".join(re.escape(name) for name in _SENSITIVE_NAMES)
    + r""")["']?"""
    + _SEPARATOR
    + r"""(?P<quote>["'])?)(?(quote)[^"'\r\n]+|[^"'\s,;&}\]\)]+)"""
)
# Literals one of which occurs in any text _NAMED_VALUE matches (lower case).
_NAMED_TRIGGERS = ("key", "token", "signature", "credential", "secret", "password", "authorization")
# Query-string credentials: ?key=..., &api_key=..., X-Amz-Signature=..., sig=...
_QUERY_KEY = re.compile(
    r"""(?i)([?&](?:key|api_key|apikey|api-key|access_token|token|auth|sig|signature|"""
    r"""x-amz-signature|x-amz-security-token|x-amz-credential)=)([^&\s"'#]+)"""
)
# The password of `scheme://user:password@host` (database, Redis and proxy URLs). The scheme
# starts only where a run of scheme characters starts (not at every `\b` inside `a-a-a-…`),
# and user and password are bounded, so the scan stays linear on hostile text.
_URL_PASSWORD = re.compile(
    r"(?i)((?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]{0,63}://[^:/@\s]{0,256}:)"
    r"(?!\*\*\*@)([^@/\s]{1,1024})(@)"
)
_AWS_KEY_PREFIXES = ("AKIA", "ASIA", "AROA", "AIDA")
_AWS_ACCESS_KEY_ID = re.compile(r"\b((?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{4})[A-Z0-9]{12}\b")
_PROVIDER_KEY = re.compile(r"\b(sk-(?:ant-|proj-)?|AIza)[A-Za-z0-9_\-]{16,}")


def mask_text(text: str) -> str:
    """Replace every credential found in ``text`` with ``***``.

    Text longer than ``MAX_MASKED_CHARS`` is clipped first (see ``plano_common.clip``); every
    pattern runs in linear time and only when a literal it needs occurs in the text.
    """
    text = clip(text, MAX_MASKED_CHARS)
    lowered = text.lower()
    if "bearer" in lowered:
        text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    if "authorization" in lowered:
        text = _AUTHORIZATION.sub(lambda m: m.group(1) + MASK, text)
    if any(name in lowered for name in _NAMED_TRIGGERS):
        text = _NAMED_VALUE.sub(lambda m: m.group(1) + MASK, text)
    if "=" in text:
        text = _QUERY_KEY.sub(lambda m: m.group(1) + MASK, text)
    if "://" in text and "@" in text:
        text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    if any(prefix in text for prefix in _AWS_KEY_PREFIXES):
        text = _AWS_ACCESS_KEY_ID.sub(lambda m: m.group(1) + MASK, text)
    if "sk-" in text or "AIza" in text:
        text = _PROVIDER_KEY.sub(lambda m: m.group(1) + MASK, text)
    return text


def mask_header_value(name: str, value: str) -> str:
    """The loggable form of one header value (``Bearer ***`` for a bearer Authorization)."""
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        return f"Bearer {MASK}" if value.startswith("Bearer ") else MASK
    if lowered in _SENSITIVE_KEYS:
        return MASK
    return mask_text(value)


def mask_value(value: Any, key: str | None = None) -> Any:
    """Mask strings, and the values of sensitive keys, inside any nested structure.

    Other objects are replaced by their masked text, so a formatter that stringifies them
    (e.g. JSON lines) cannot reveal what their ``str`` shows.
    """
    if isinstance(value, str):
        return mask_header_value(key, value) if key is not None else mask_text(value)
    if isinstance(value, bytes | bytearray):
        return mask_value(bytes(value).decode("utf-8", errors="replace"), key)
    if isinstance(value, Mapping):
        return {k: mask_value(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str | bytes):
        name = value[0] if isinstance(value[0], str) else value[0].decode("latin-1")
        return [name, mask_value(value[1], name)]
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_value(item) for item in value]
    if key is not None and key.lower() in _SENSITIVE_KEYS and value is not None:
        return MASK
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask_text(str(value))


_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName", "plano_masked"}
)


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields passed with ``extra=`` (everything that is not a standard record attribute)."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}


def mask_record(record: logging.LogRecord) -> None:
    """Mask a record in place: message with its arguments, extra fields and exception text."""
    if not getattr(record, "plano_masked", False):
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg!r} {record.args!r}"
        record.msg = mask_text(message)
        record.args = None
        record.plano_masked = True
    for name, value in extra_fields(record).items():
        record.__dict__[name] = mask_value(value, name)
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)


class SecretMaskingFilter(logging.Filter):
    """A handler filter that masks credentials in every record it lets through."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, service, extra fields, exc."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service
        self._encoder = msgspec.json.Encoder(enc_hook=str)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self._service,
        }
        for name, value in extra_fields(record).items():
            entry.setdefault(name, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return self._encoder.encode(entry).decode()


class _PlanoHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler configure_logging owns (replaced on reconfiguration)."""


_masking_factory_installed = False


def _install_masking_record_factory() -> None:
    """Mask every record at creation, for loggers whose handlers are not the root's."""
    global _masking_factory_installed
    if _masking_factory_installed:
        return
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        mask_record(record)
        return record

    logging.setLogRecordFactory(masking_factory)
    _masking_factory_installed = True


def configure_logging(service: str, level: str = "INFO", json: bool | None = None) -> None:
    """Log to stderr with secrets masked; JSON lines when ``json`` (default: PLANO_LOG_FORMAT)."""
    if json is None:
        json = os.environ.get("PLANO_LOG_FORMAT", "").lower() == "json"
    handler = _PlanoHandler(sys.stderr)
    if json:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
        )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _PlanoHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for each in root.handlers:
        if not any(isinstance(f, SecretMaskingFilter) for f in each.filters):
            each.addFilter(SecretMaskingFilter())
    _install_masking_record_factory()
