"""Offline token counting with the BPE rank files shipped in this package.

The cl100k_base and o200k_base rank files live gzipped in ``plano_common/data``; they are
loaded lazily, once per encoding, checked against their published SHA-256 and never fetched
from the network. When an encoding cannot be loaded, counts fall back to a length estimate
(one token per four characters) and a single warning is logged.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import logging
import threading
from dataclasses import dataclass
from importlib import resources

import tiktoken

__all__ = [
    "CL100K_BASE",
    "O200K_BASE",
    "EncodingUnavailableError",
    "count_tokens",
    "encoding_name_for_model",
    "estimate_tokens",
    "get_encoding",
    "load_encoding",
    "parse_ranks",
    "preload",
    "read_rank_file",
    "reset_cache",
]

logger = logging.getLogger(__name__)

CL100K_BASE = "cl100k_base"
O200K_BASE = "o200k_base"

_ENDOFTEXT = "<|endoftext|>"


@dataclass(frozen=True, slots=True)
class _EncodingSpec:
    name: str
    rank_file: str
    sha256: str
    pat_str: str
    special_tokens: dict[str, int]


_SPECS: dict[str, _EncodingSpec] = {
    CL100K_BASE: _EncodingSpec(
        name=CL100K_BASE,
        rank_file="cl100k_base.tiktoken.gz",
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=(
            r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
            r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
        ),
        special_tokens={
            _ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
    O200K_BASE: _EncodingSpec(
        name=O200K_BASE,
        rank_file="o200k_base.tiktoken.gz",
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str="|".join(
            (
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"""
                r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"""
                r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            )
        ),
        special_tokens={_ENDOFTEXT: 199999, "<|endofprompt|>": 200018},
    ),
}


class EncodingUnavailableError(RuntimeError):
    """A shipped rank file is missing, corrupt or cannot be parsed."""


def encoding_name_for_model(model: str) -> str:
    """The encoding used for ``model``: cl100k_base for gpt-4 (not gpt-4o/4.1), else o200k_base."""
    if model.startswith("gpt-4") and not model.startswith(("gpt-4o", "gpt-4.1")):
        return CL100K_BASE
    return O200K_BASE


def parse_ranks(data: bytes) -> dict[bytes, int]:
    """Parse a ``.tiktoken`` rank file (one ``<base64 token> <rank>`` per line)."""
    fields = data.split()
    if len(fields) % 2:
        raise ValueError("odd number of fields in rank file")
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))


def read_rank_file(encoding_name: str) -> bytes:
    """The verified, decompressed rank file of a shipped encoding."""
    spec = _SPECS.get(encoding_name)
    if spec is None:
        raise EncodingUnavailableError(f"no rank file shipped for encoding {encoding_name!r}")
    try:
        resource = resources.files("plano_common").joinpath("data", spec.rank_file)
        data = gzip.decompress(resource.read_bytes())
    except (OSError, EOFError) as exc:
        raise EncodingUnavailableError(f"cannot read {spec.rank_file}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise EncodingUnavailableError(
            f"{spec.rank_file} has sha256 {digest}, expected {spec.sha256}"
        )
    return data


def load_encoding(encoding_name: str) -> tiktoken.Encoding:
    """Build a tiktoken encoding from the shipped rank file (no network access)."""
    spec = _SPECS.get(encoding_name)
    if spec is None:
        raise EncodingUnavailableError(f"unknown encoding {encoding_name!r}")
    try:
        ranks = parse_ranks(read_rank_file(encoding_name))
    except ValueError as exc:
        raise EncodingUnavailableError(f"cannot parse {spec.rank_file}: {exc}") from exc
    return tiktoken.Encoding(
        name=spec.name,
        pat_str=spec.pat_str,
        mergeable_ranks=ranks,
        special_tokens=dict(spec.special_tokens),
    )


class _EncodingCache:
    """Loads each encoding at most once; remembers failures so the warning is logged once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._encodings: dict[str, tiktoken.Encoding | None] = {}

    def get(self, encoding_name: str) -> tiktoken.Encoding | None:
        if encoding_name in self._encodings:
            return self._encodings[encoding_name]
        with self._lock:
            if encoding_name not in self._encodings:
                self._encodings[encoding_name] = self._load(encoding_name)
            return self._encodings[encoding_name]

    @staticmethod
    def _load(encoding_name: str) -> tiktoken.Encoding | None:
        try:
            return load_encoding(encoding_name)
        except EncodingUnavailableError as exc:
            logger.warning(
                "tokenizer encoding %s unavailable (%s); estimating tokens as characters/4",
                encoding_name,
                exc,
            )
            return None

    def clear(self) -> None:
        with self._lock:
            self._encodings.clear()


_cache = _EncodingCache()


def get_encoding(encoding_name: str) -> tiktoken.Encoding | None:
    """The loaded encoding, or None when it cannot be loaded (a warning is logged once)."""
    return _cache.get(encoding_name)


def estimate_tokens(text: str) -> int:
    """Length-based estimate used when no encoding is available: one token per 4 characters."""
    return (len(text) + 3) // 4


def count_tokens(model: str, text: str) -> int:
    """Number of tokens of ``text`` for ``model`` (special tokens are counted as plain text)."""
    encoding = get_encoding(encoding_name_for_model(model))
    if encoding is None:
        return estimate_tokens(text)
    return len(encoding.encode_ordinary(text))


def preload(encoding_names: tuple[str, ...] = (O200K_BASE, CL100K_BASE)) -> None:
    """Load encodings now (e.g. at service start, in a worker thread) instead of on first use."""
    for name in encoding_names:
        get_encoding(name)


def reset_cache() -> None:
    """Forget loaded encodings and remembered failures (for tests)."""
    _cache.clear()
