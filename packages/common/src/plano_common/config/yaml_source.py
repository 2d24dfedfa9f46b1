"""Read a YAML config into plain Python data plus the line of every key and item."""

from __future__ import annotations

from typing import Any

import yaml

from plano_common.config.errors import ConfigError, ConfigPath, quote

__all__ = ["LineMap", "line_of", "parse_yaml"]

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

LineMap = dict[ConfigPath, int]


def parse_yaml(text: str) -> tuple[Any, LineMap]:
    """Parse one YAML document; return the data and a map of path -> 1-based line.

    Duplicate keys in a mapping are an error (YAML would silently keep the last one).
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: LineMap = {}
        _index(node, (), lines)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"not valid YAML{where}: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}") from exc
    finally:
        loader.dispose()


def _index(node: yaml.Node, path: ConfigPath, lines: LineMap) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = key_node.value
            if key in seen:
                raise ConfigError(
                    f"duplicate key {quote(key)}; keep only one",
                    path=path,
                    line=key_node.start_mark.line + 1,
                )
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _index(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _index(item, (*path, position), lines)


def line_of(lines: LineMap, path: ConfigPath) -> int | None:
    """The line of `path`, or of its nearest ancestor present in the map."""
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None
