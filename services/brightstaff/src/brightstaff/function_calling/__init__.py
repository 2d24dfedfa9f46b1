"""``POST /function_calling``: intent detection and tool-argument extraction for the prompt
gateway, with an Arch-Function model (its prompt protocol and hallucination check) or any chat
model's native tool calling."""

from brightstaff.function_calling.answer import FcOutcome, FcRequest, completion_body
from brightstaff.function_calling.plugin import build_function_calling

__all__ = ["FcOutcome", "FcRequest", "build_function_calling", "completion_body"]
