"""Show and follow the service log files."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

from rich.console import Console
from rich.markup import escape

__all__ = ["follow", "tail"]

POLL_SECONDS = 0.25
READ_BYTES = 64 * 1024
STYLES = ("cyan", "magenta", "green", "yellow")


def tail(path: Path, lines: int) -> list[str]:
    """The last `lines` lines of a file (empty when it is missing)."""
    try:
        with path.open("rb") as file:
            size = path.stat().st_size
            file.seek(max(0, size - lines * 512))
            text = file.read().decode(errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:] if lines > 0 else []


def follow(
    files: Mapping[str, Path], console: Console, stop: Callable[[], bool], from_end: bool = True
) -> None:
    """Print new lines of each file, prefixed by its name, until `stop()` is true."""
    offsets = {name: (_size(path) if from_end else 0) for name, path in files.items()}
    pending = dict.fromkeys(files, b"")
    width = max((len(name) for name in files), default=0)
    while not stop():
        for index, (name, path) in enumerate(files.items()):
            chunk = _read_from(path, offsets[name])
            offsets[name] += len(chunk)
            *complete, pending[name] = (pending[name] + chunk).split(b"\n")
            style = STYLES[index % len(STYLES)]
            for line in complete:
                text = escape(line.decode(errors="replace"))
                console.print(f"[{style}]{name:<{width}}[/] | {text}", highlight=False)
        time.sleep(POLL_SECONDS)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with path.open("rb") as file:
            file.seek(offset)
            return file.read(READ_BYTES)
    except OSError:
        return b""
