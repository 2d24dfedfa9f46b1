"""Interaction-quality signals computed from each LLM exchange's conversation.

Three layers — interaction (misalignment, stagnation, disengagement, satisfaction), execution
(failure, loops) and environment (exhaustion) — a severity per category, a quality score and
bucket. `analyze` takes ShareGPT rows; `SignalsStep` runs it after each response, off the
request path.
"""

from brightstaff.signals.analyzer import AnalyzerConfig, analyze, is_concerning
from brightstaff.signals.conversation import conversation_rows
from brightstaff.signals.schemas import InteractionQuality, SignalReport, SignalType
from brightstaff.signals.worker import SignalsStep

__all__ = [
    "AnalyzerConfig",
    "InteractionQuality",
    "SignalReport",
    "SignalType",
    "SignalsStep",
    "analyze",
    "conversation_rows",
    "is_concerning",
]
