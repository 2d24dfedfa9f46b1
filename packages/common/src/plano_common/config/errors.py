"""The one error type of config loading: a one-line message naming the place and the fix."""

from __future__ import annotations

import json
import re

__all__ = ["ConfigError", "ConfigPath", "PathPart", "format_path", "quote"]

PathPart = str | int
ConfigPath = tuple[PathPart, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def quote(value: object) -> str:
    """A value as it would appear in JSON: strings in double quotes."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return repr(value)


def format_path(path: ConfigPath) -> str:
    """Render a path like `model_providers[2].model` or `model_aliases["a.b"].target`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            text += f'["{part}"]'
    return text


class ConfigError(Exception):
    """A config file is missing or invalid.

    `detail` is `<location>: <problem and fix>`; `str()` prefixes the file and line when known,
    e.g. `plano.yaml:14: model_providers[2].model: ...`. Always one line.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: ConfigPath = (),
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        self.problem = " ".join(problem.split())
        self.path = path
        self.file = file
        self.line = line
        super().__init__(str(self))

    @property
    def location(self) -> str:
        """Where the problem is, e.g. `listeners[0].port` (empty for the whole file)."""
        return format_path(self.path)

    @property
    def detail(self) -> str:
        """`<location>: <problem>` without the file prefix."""
        return f"{self.location}: {self.problem}" if self.path else self.problem

    def located(self, file: str, line: int | None) -> ConfigError:
        """The same error attached to a file and (optionally) a line."""
        return ConfigError(self.problem, path=self.path, file=file, line=line)

    def __str__(self) -> str:
        if self.file is None:
            return self.detail
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.detail}"
