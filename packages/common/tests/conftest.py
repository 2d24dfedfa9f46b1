"""Fixtures shared by the plano_common tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from plano_common import logs


@pytest.fixture
def restore_root() -> Iterator[None]:
    """Undo what configure_logging does to the root logger and the record factory."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    factory = logging.getLogRecordFactory()
    installed = logs._masking_factory_installed
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    logging.setLogRecordFactory(factory)
    logs._masking_factory_installed = installed
