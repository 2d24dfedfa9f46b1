"""The signal taxonomy and the report: layers, categories, signal types, severities."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CATEGORIES",
    "InteractionQuality",
    "SignalGroup",
    "SignalInstance",
    "SignalReport",
    "SignalType",
    "TurnMetrics",
]


class SignalType(enum.Enum):
    """Every signal type, valued by its dotted name ``<layer>.<category>.<type>``."""

    MISALIGNMENT_CORRECTION = "interaction.misalignment.correction"
    MISALIGNMENT_REPHRASE = "interaction.misalignment.rephrase"
    MISALIGNMENT_CLARIFICATION = "interaction.misalignment.clarification"
    STAGNATION_DRAGGING = "interaction.stagnation.dragging"
    STAGNATION_REPETITION = "interaction.stagnation.repetition"
    DISENGAGEMENT_ESCALATION = "interaction.disengagement.escalation"
    DISENGAGEMENT_QUIT = "interaction.disengagement.quit"
    DISENGAGEMENT_NEGATIVE_STANCE = "interaction.disengagement.negative_stance"
    SATISFACTION_GRATITUDE = "interaction.satisfaction.gratitude"
    SATISFACTION_CONFIRMATION = "interaction.satisfaction.confirmation"
    SATISFACTION_SUCCESS = "interaction.satisfaction.success"
    FAILURE_INVALID_ARGS = "execution.failure.invalid_args"
    FAILURE_BAD_QUERY = "execution.failure.bad_query"
    FAILURE_TOOL_NOT_FOUND = "execution.failure.tool_not_found"
    FAILURE_AUTH_MISUSE = "execution.failure.auth_misuse"
    FAILURE_STATE_ERROR = "execution.failure.state_error"
    LOOPS_RETRY = "execution.loops.retry"
    LOOPS_PARAMETER_DRIFT = "execution.loops.parameter_drift"
    LOOPS_OSCILLATION = "execution.loops.oscillation"
    EXHAUSTION_API_ERROR = "environment.exhaustion.api_error"
    EXHAUSTION_TIMEOUT = "environment.exhaustion.timeout"
    EXHAUSTION_RATE_LIMIT = "environment.exhaustion.rate_limit"
    EXHAUSTION_NETWORK = "environment.exhaustion.network"
    EXHAUSTION_MALFORMED = "environment.exhaustion.malformed_response"
    EXHAUSTION_CONTEXT_OVERFLOW = "environment.exhaustion.context_overflow"

    @property
    def layer(self) -> str:
        """``interaction``, ``execution`` or ``environment``."""
        return self.value.split(".", 1)[0]

    @property
    def category(self) -> str:
        """The category within the layer, e.g. ``misalignment``."""
        return self.value.split(".")[1]


CATEGORIES: tuple[tuple[str, str], ...] = (
    ("interaction", "misalignment"),
    ("interaction", "stagnation"),
    ("interaction", "disengagement"),
    ("interaction", "satisfaction"),
    ("execution", "failure"),
    ("execution", "loops"),
    ("environment", "exhaustion"),
)
"""(layer, category) of every signal group, in report order."""


class InteractionQuality(enum.Enum):
    """The quality bucket of a conversation."""

    EXCELLENT = "excellent"
    GOOD = "good"
    NEUTRAL = "neutral"
    POOR = "poor"
    SEVERE = "severe"


@dataclass(slots=True)
class SignalInstance:
    """One detected signal."""

    signal_type: SignalType
    message_index: int
    snippet: str
    confidence: float = 1.0
    metadata: dict[str, Any] = field(default_factory=dict)


def severity_of(count: int) -> int:
    """0 for none, 1 for 1-2, 2 for 3-4, 3 for 5 or more."""
    if count == 0:
        return 0
    if count <= 2:
        return 1
    if count <= 4:
        return 2
    return 3


@dataclass(slots=True)
class SignalGroup:
    """The signals of one category, with their count and severity."""

    category: str
    signals: list[SignalInstance] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many signals the group holds."""
        return len(self.signals)

    @property
    def severity(self) -> int:
        """The group's severity (0 to 3) by count."""
        return severity_of(len(self.signals))

    def add(self, signal: SignalInstance) -> None:
        """Add one signal."""
        self.signals.append(signal)


@dataclass(frozen=True, slots=True)
class TurnMetrics:
    """Turn counts of a conversation and its efficiency (1.0 up to the baseline)."""

    total_turns: int = 0
    user_turns: int = 0
    assistant_turns: int = 0
    is_dragging: bool = False
    efficiency_score: float = 1.0


@dataclass(slots=True)
class SignalReport:
    """Everything the analyzer found in one conversation."""

    groups: dict[str, SignalGroup]
    """Signal groups keyed ``<layer>.<category>`` (every category present)."""
    overall_quality: InteractionQuality
    quality_score: float
    turn_metrics: TurnMetrics
    summary: str = ""

    def group(self, layer: str, category: str) -> SignalGroup:
        """The group of one category."""
        return self.groups[f"{layer}.{category}"]

    def signals(self) -> list[SignalInstance]:
        """Every signal, in report order."""
        return [s for key in self.groups for s in self.groups[key].signals]

    def counts_by_type(self) -> dict[str, int]:
        """How many signals of each type were found (types with none left out)."""
        out: dict[str, int] = {}
        for signal in self.signals():
            out[signal.signal_type.value] = out.get(signal.signal_type.value, 0) + 1
        return out
