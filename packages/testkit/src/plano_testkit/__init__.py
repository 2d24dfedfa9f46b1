"""Development-only test kit: a fake LLM upstream and helpers to run services in tests."""

from plano_testkit.echo import DEFAULT_TEXT
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.recording import Outcome, RecordedRequest
from plano_testkit.reply import Reply, ToolCall
from plano_testkit.services import RunningService, ServiceStartError, free_port, run_service
from plano_testkit.wire.common import WireApi

__all__ = [
    "DEFAULT_TEXT",
    "FakeUpstream",
    "Outcome",
    "RecordedRequest",
    "Reply",
    "RunningService",
    "ServiceStartError",
    "ToolCall",
    "WireApi",
    "free_port",
    "run_service",
]
