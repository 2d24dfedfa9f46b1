"""JSON Schema of the config file, generated from the msgspec types (for editors and CI)."""

from __future__ import annotations

from typing import Any

import msgspec

from plano_common.config.document import ConfigDocument

__all__ = ["SCHEMA_ID", "config_json_schema"]

SCHEMA_ID = "https://plano.dev/schemas/plano-config.json"


def config_json_schema() -> dict[str, Any]:
    """The draft 2020-12 JSON Schema of a Plano config file."""
    schema = msgspec.json.schema(ConfigDocument)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Plano config",
        **schema,
    }
