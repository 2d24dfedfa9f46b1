"""Decoding a client's JSON body: every malformed input is a 400, never a 500.

Invalid JSON, bytes that are not UTF-8 and nesting deeper than the parser allows (about 1,000
levels, bounded by the interpreter's recursion limit) all answer
``Request parsing error: …`` in the client's dialect.
"""

from __future__ import annotations

from typing import Any

import msgspec

from plano_common.errors import BadRequest

__all__ = ["NESTING_TOO_DEEP", "decode_client_json"]

NESTING_TOO_DEEP = "Request parsing error: the JSON body is nested too deeply"
_decode = msgspec.json.Decoder().decode


def decode_client_json(body: bytes) -> Any:
    """The decoded body, or BadRequest naming what is wrong with it."""
    try:
        return _decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"Request parsing error: invalid JSON: {exc}") from None
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"Request parsing error: the body is not UTF-8 (byte {exc.start})"
        ) from None
    except RecursionError:
        raise BadRequest(NESTING_TOO_DEEP) from None
