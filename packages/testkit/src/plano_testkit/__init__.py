"""Development-only test kit: a fake LLM upstream and helpers to run services in tests."""

from plano_testkit.echo import DEFAULT_TEXT
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.recording import Outcome, RecordedRequest
from plano_testkit.reply import Reply, ToolCall
from plano_testkit.wire.common import WireApi

__all__ = [
    "DEFAULT_TEXT",
    "FakeUpstream",
    "Outcome",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "WireApi",
]
