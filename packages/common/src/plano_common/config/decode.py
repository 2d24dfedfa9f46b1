"""Turn parsed YAML data into a ConfigDocument, translating msgspec errors into plain advice."""

from __future__ import annotations

import difflib
import re
from typing import Any

import msgspec
import msgspec.inspect as mi

from plano_common.config.document import ConfigDocument, EndpointEntry, ModelAliasEntry
from plano_common.config.errors import ConfigError, ConfigPath, PathPart, quote

__all__ = ["decode_document"]

_MESSAGE = re.compile(r"^(?P<message>.*?)(?: - at (?P<key>`key` in )?`\$(?P<path>[^`]*)`)?$", re.S)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_EXPECTED = re.compile(r"^Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`$")
_BOUND = re.compile(r"^Expected `[^`]+` (?P<op>[<>]=?) (?P<bound>\S+)$")
_LENGTH = re.compile(r"^Expected `(?:array|object)` of length (?P<op>[<>]=?) (?P<bound>\S+)$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]+)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<key>[^`]+)`$")
_BAD_VALUE = re.compile(r"^Invalid (?:enum )?value (?P<value>.+)$")

_TYPE_WORDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}
_CHOICE_HINTS: dict[ConfigPath, str] = {
    ("version",): "use v0.4.0 (older configs: v0.1, v0.1.0, 0.1-beta, 0.2.0, v0.3.0)",
}


def decode_document(data: Any) -> ConfigDocument:
    """Validate the shape of `data`; raise ConfigError with a located, one-line message."""
    if not isinstance(data, dict):
        raise ConfigError("the file must be a YAML mapping with at least version and listeners")
    if isinstance(data.get("version"), int | float):
        data = {**data, "version": str(data["version"])}
    for section, entry_type in (("endpoints", EndpointEntry), ("model_aliases", ModelAliasEntry)):
        entries = data.get(section)
        if isinstance(entries, dict):
            for key, value in entries.items():
                _convert(value, entry_type, (section, str(key)))
    document: ConfigDocument = _convert(data, ConfigDocument, ())
    return document


def _convert(value: Any, target: Any, base: ConfigPath) -> Any:
    try:
        return msgspec.convert(value, target, strict=False)
    except msgspec.ValidationError as exc:
        raise _translate(str(exc), value, target, base) from None


def _translate(text: str, value: Any, target: Any, base: ConfigPath) -> ConfigError:
    match = _MESSAGE.match(text)
    assert match is not None
    message = match.group("message")
    relative = _parse_path(match.group("path") or "", value, message)
    path = base + relative
    info = _info_at(mi.type_info(target), relative)
    got = _value_at(value, relative)
    if match.group("key") and isinstance(got, dict):
        key = next((k for k in got if not isinstance(k, str)), None)
        if isinstance(key, bool):
            return ConfigError(
                f"a key was read as {quote(key)} (YAML reads unquoted yes/no/on/off/true/false "
                'as booleans); put the key in quotes, e.g. "yes"',
                path=path,
            )
        return ConfigError(
            f"the key {quote(key)} must be text; put it in quotes, e.g. {quote(str(key))}",
            path=path,
        )

    if found := _UNKNOWN.match(message):
        key = found.group("key")
        return ConfigError(_unknown_key(key, info), path=(*path, key))
    if found := _MISSING.match(message):
        key = found.group("key")
        return ConfigError(f"missing required key {quote(key)}", path=path)
    if found := _BAD_VALUE.match(message):
        allowed = _allowed_values(info)
        hint = _CHOICE_HINTS.get(path) or (f"use one of: {', '.join(allowed)}" if allowed else "")
        return ConfigError(f"{quote(got)} is not allowed; {hint}".rstrip("; "), path=path)
    if found := _EXPECTED.match(message):
        expected = _describe_type(found.group("expected"))
        hint = ""
        if expected == "a string" and isinstance(got, int | float):
            hint = f"; put it in quotes, e.g. {quote(str(got).lower())}"
        return ConfigError(f"expected {expected}, got {quote(got)}{hint}", path=path)
    if found := _LENGTH.match(message):
        return ConfigError(f"needs length {found.group('op')} {found.group('bound')}", path=path)
    if found := _BOUND.match(message):
        return ConfigError(
            f"{quote(got)} must be {found.group('op')} {found.group('bound')}", path=path
        )
    return ConfigError(message, path=path)


def _parse_path(text: str, value: Any, message: str) -> ConfigPath:
    """The path of an error; msgspec's `[...]` (some value of a mapping) becomes its key."""
    parts: list[PathPart] = []
    for name, index in _PATH_PART.findall(text):
        if name:
            parts.append(name)
        elif index.isdigit():
            parts.append(int(index))
        else:
            key = _offending_key(_value_at(value, tuple(parts)), message)
            if key is None:
                break
            parts.append(key)
    return tuple(parts)


def _offending_key(mapping: Any, message: str) -> str | None:
    """The first key of `mapping` whose value has the type an `Expected …, got …` names."""
    found = _EXPECTED.match(message)
    if not isinstance(mapping, dict) or found is None:
        return None
    wrong = found.group("got")
    return next((str(k) for k, v in mapping.items() if _type_name(v) == wrong), None)


def _type_name(value: Any) -> str:
    """The name msgspec uses for the type of a decoded YAML value."""
    for kind, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if isinstance(value, kind):
            return name
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def _value_at(value: Any, path: ConfigPath) -> Any:
    for part in path:
        in_list = isinstance(part, int) and isinstance(value, list) and part < len(value)
        if not (in_list or (isinstance(value, dict) and part in value)):
            return None
        value = value[part]
    return value


def _info_at(info: mi.Type, path: ConfigPath) -> mi.Type | None:
    current: mi.Type | None = info
    for part in path:
        if current is None:
            return None
        current = _step(current, part)
    return _unwrap(current)


def _step(info: mi.Type, part: PathPart) -> mi.Type | None:
    info = _unwrap(info, want_index=isinstance(part, int)) or info
    if isinstance(part, int):
        if isinstance(info, mi.ListType | mi.TupleType | mi.VarTupleType):
            return getattr(info, "item_type", None)
        return None
    if isinstance(info, mi.StructType):
        return next((f.type for f in info.fields if f.encode_name == part), None)
    if isinstance(info, mi.DictType):
        return info.value_type
    if isinstance(info, mi.UnionType):
        structs = [t for t in info.types if isinstance(t, mi.StructType)]
        if structs and all(t.tag_field == part for t in structs):
            return mi.LiteralType(values=tuple(t.tag for t in structs))
        return next((found for t in structs if (found := _step(t, part)) is not None), None)
    return None


def _unwrap(info: mi.Type | None, *, want_index: bool = False) -> mi.Type | None:
    if not isinstance(info, mi.UnionType):
        return info
    members = [t for t in info.types if not isinstance(t, mi.NoneType)]
    if want_index:
        lists = [t for t in members if isinstance(t, mi.ListType | mi.VarTupleType)]
        return lists[0] if lists else None
    objects = [t for t in members if isinstance(t, mi.StructType | mi.DictType)]
    if len(objects) == 1 and len(members) > 1:
        return objects[0]
    return members[0] if len(members) == 1 else info


def _struct_keys(info: mi.Type | None) -> list[str]:
    info = _unwrap(info)
    if isinstance(info, mi.StructType):
        return [f.encode_name for f in info.fields]
    if isinstance(info, mi.UnionType):
        return [k for t in info.types if isinstance(t, mi.StructType) for k in _struct_keys(t)]
    return []


def _unknown_key(key: str, info: mi.Type | None) -> str:
    allowed = _struct_keys(info)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {quote(close[0])}?"
    return f"unknown key; allowed keys: {', '.join(allowed)}" if allowed else "unknown key"


def _allowed_values(info: mi.Type | None) -> list[str]:
    if isinstance(info, mi.LiteralType):
        return [str(v) for v in info.values if v != ""]
    if isinstance(info, mi.UnionType):
        return [v for t in info.types for v in _allowed_values(t)]
    return []


def _describe_type(expected: str) -> str:
    words = [_TYPE_WORDS.get(part.strip(), part.strip()) for part in expected.split("|")]
    words = [word for word in words if word != "nothing"] or ["nothing"]
    return " or ".join(dict.fromkeys(words))
