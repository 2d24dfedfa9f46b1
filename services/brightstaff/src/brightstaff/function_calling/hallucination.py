"""Hallucination check on a streamed Arch-Function answer.

The stream is followed token by token with a small state machine that recognizes the function
name, each parameter name and each parameter value. On the first value token of every
required parameter without an ``enum``, the entropy and varentropy (in bits) of the token's
top log-probabilities are computed; both above their thresholds means the model is guessing
a value the user never gave.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ENTROPY_THRESHOLD",
    "VARENTROPY_THRESHOLD",
    "HallucinationState",
    "Uncertainty",
    "uncertainty",
]

ENTROPY_THRESHOLD = 0.0001
VARENTROPY_THRESHOLD = 0.0001
FUNC_NAME_START = ('{"name":"', "{'name':'")
FUNC_NAME_END = ('",', "',")
END_TOOL_CALL = "}}"
FIRST_PARAM_NAME_START = ('"arguments":{"', "'arguments':{'")
PARAM_NAME_END = ('":', ':"', "':", ":'", '":"', "':'")
PARAM_NAME_START = ('","', "','")
PARAM_VALUE_START = ('":', "':")
PARAM_VALUE_END = ('",', '"}')
_CLOSING = {"(": ")", "{": "}", "[": "]"}
_LN2 = math.log(2.0)
_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """Entropy and varentropy (bits) of a token's top log-probabilities, and its probability."""

    entropy: float
    varentropy: float
    probability: float


def uncertainty(logprobs: Sequence[float]) -> Uncertainty:
    """The uncertainty of one token from its top log-probabilities (natural log)."""
    if not logprobs:
        return Uncertainty(0.0, 0.0, 0.0)
    probs = [math.exp(lp) for lp in logprobs]
    entropy = -sum(lp * p for lp, p in zip(logprobs, probs, strict=True)) / _LN2
    varentropy = sum(p * (lp / _LN2 + entropy) ** 2 for lp, p in zip(logprobs, probs, strict=True))
    return Uncertainty(entropy, varentropy, probs[0])


class _Mask(enum.Enum):
    FUNCTION_NAME = 1
    PARAMETER_VALUE = 2
    PARAMETER_NAME = 3
    NOT_USED = 4


@dataclass(slots=True)
class HallucinationState:
    """Follows one streamed answer; `append` says when a hallucination was detected."""

    functions: dict[str, dict[str, Any]]
    """Each tool's ``parameters`` schema by function name."""
    tokens: list[str] = field(default_factory=list)
    logprobs: list[list[float]] = field(default_factory=list)
    mask: list[_Mask] = field(default_factory=list)
    state: str | None = None
    parameter_name_done: bool = False
    hallucination: bool = False
    error_message: str = ""
    parameter_names: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    open_bracket: bool = False
    bracket: str | None = None
    function_name: str = ""
    content: str = ""
    """The tokens so far, spaces removed."""

    @classmethod
    def for_tools(cls, tools: Sequence[dict[str, Any]]) -> HallucinationState:
        """A state for the request's tools."""
        functions: dict[str, dict[str, Any]] = {}
        for tool in tools:
            function = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                params = function.get("parameters")
                functions[function["name"]] = params if isinstance(params, dict) else {}
        return cls(functions)

    def append(self, token: str, logprobs: list[float]) -> bool:
        """Add one streamed token with its top log-probabilities; True once hallucinating."""
        self.tokens.append(token)
        self.logprobs.append(logprobs)
        self.content += token.replace(" ", "")
        self._process()
        return self.hallucination

    def text(self) -> str:
        """The streamed answer so far."""
        return "".join(self.tokens)

    def _reset(self) -> None:
        self.state = None
        self.parameter_name_done = False
        self.hallucination = False
        self.error_message = ""
        self.open_bracket = False
        self.bracket = None
        self.checked.clear()

    def _process(self) -> None:
        content = self.content
        if content.endswith(END_TOOL_CALL):
            self._reset()
        if self.state == "function_name":
            if self.tokens[-1] not in FUNC_NAME_END:
                self.mask.append(_Mask.FUNCTION_NAME)
            else:
                self.state = None
                self.function_name = self._run_text(_Mask.FUNCTION_NAME) or self.function_name
        if content.endswith(FUNC_NAME_START):
            self.state = "function_name"
        self._parameter_name(content)
        if content.endswith(FIRST_PARAM_NAME_START):
            self.state = "parameter_name"
        self._parameter_value(content)
        if len(self.mask) != len(self.tokens):
            self.mask.append(_Mask.NOT_USED)

    def _parameter_name(self, content: str) -> None:
        if self.state == "parameter_name":
            if not content.endswith(PARAM_NAME_END):
                self.mask.append(_Mask.PARAMETER_NAME)
            else:
                self.state = None
                self.parameter_name_done = True
                name = self._run_text(_Mask.PARAMETER_NAME)
                if name is not None:
                    self.parameter_names.append(name)
        elif (
            self.parameter_name_done
            and not self.open_bracket
            and content.endswith(PARAM_NAME_START)
        ):
            self.state = "parameter_name"

    def _parameter_value(self, content: str) -> None:
        if self.state == "parameter_value" and not content.endswith(PARAM_VALUE_END):
            self._value_token(self.tokens[-1].strip())
        elif (
            self.state == "parameter_value"
            and not self.open_bracket
            and content.endswith(PARAM_VALUE_END)
        ):
            self.state = None
        elif self.parameter_name_done and content.endswith(PARAM_VALUE_START):
            self.state = "parameter_value"

    def _value_token(self, token: str) -> None:
        opening = [c for c in token if c in _CLOSING]
        if opening:
            self.open_bracket, self.bracket = True, opening[0]
        if self.open_bracket and self.bracket is not None and _CLOSING[self.bracket] in token:
            self.open_bracket, self.bracket = False, None
        if not token or all(c in _PUNCT for c in token):
            self.mask.append(_Mask.NOT_USED)
            return
        self.mask.append(_Mask.PARAMETER_VALUE)
        schema = self.functions.get(self.function_name)
        if schema is None:
            if self.function_name:
                self._check()
                self.error_message = (
                    f"Function name {self.function_name} not found in function properties"
                )
            return
        if (
            len(self.mask) > 1
            and self.mask[-2] is not _Mask.PARAMETER_VALUE
            and self.parameter_names
        ):
            name = self.parameter_names[-1]
            if _required(schema, name) and not _has_enum(schema, name) and name not in self.checked:
                self._check()
                self.checked.add(name)

    def _check(self) -> None:
        measured = uncertainty(self.logprobs[-1]) if self.logprobs else Uncertainty(0.0, 0.0, 0.0)
        if measured.entropy > ENTROPY_THRESHOLD and measured.varentropy > VARENTROPY_THRESHOLD:
            self.hallucination = True
            self.error_message = (
                f"token '{self.tokens[-1]}' is uncertain. Generated response:\n{self.text()}"
            )

    def _run_text(self, kind: _Mask) -> str | None:
        """The tokens of the run of `kind` ending just before the current token."""
        run = 0
        for item in reversed(self.mask):
            if item is not kind:
                break
            run += 1
        if run == 0 or len(self.tokens) <= 1:
            return None
        end = len(self.tokens) - 1
        return "".join(self.tokens[max(end - run, 0) : end])


def _required(schema: dict[str, Any], name: str) -> bool:
    required = schema.get("required")
    return isinstance(required, list) and name in required


def _has_enum(schema: dict[str, Any], name: str) -> bool:
    properties = schema.get("properties")
    info = properties.get(name) if isinstance(properties, dict) else None
    return isinstance(info, dict) and "enum" in info
