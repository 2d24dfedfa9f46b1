"""Which function-calling backend serves ``/function_calling``, and its knobs.

| knob | source | default |
|---|---|---|
| backend | env `PLANO_FUNCTION_CALLING_BACKEND` (`auto`, `arch`, `native`) | `auto` |
| native backend's model | env `PLANO_FUNCTION_CALLING_MODEL` (a configured model) | default model |
| time for one function-calling request | env `PLANO_FUNCTION_CALLING_TIMEOUT_SECONDS` | 60 s |

`auto` picks the Arch-Function backend when the config has a model provider named
``arch-function`` (any OpenAI-compatible endpoint serving the Arch-Function model), else the
native-tools backend on the default model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from brightstaff.function_calling.arch import ARCH_FUNCTION_PROVIDER
from brightstaff.models import Models
from plano_common.config.types import PlanoConfig, Provider

__all__ = ["BackendChoice", "FunctionCallingSettingsError", "choose_backend", "timeout_seconds"]

DEFAULT_TIMEOUT_SECONDS = 60.0
BACKEND_ENV = "PLANO_FUNCTION_CALLING_BACKEND"
MODEL_ENV = "PLANO_FUNCTION_CALLING_MODEL"
TIMEOUT_ENV = "PLANO_FUNCTION_CALLING_TIMEOUT_SECONDS"


class FunctionCallingSettingsError(ValueError):
    """A function-calling knob has an unusable value; the message names it."""


@dataclass(frozen=True, slots=True)
class BackendChoice:
    """The backend kind and the provider (name, upstream model) it calls through the egress."""

    kind: Literal["arch", "native"]
    provider: str
    model: str


def _arch_provider(config: PlanoConfig, *, user_only: bool) -> Provider | None:
    for provider in config.model_providers:
        if provider.name == ARCH_FUNCTION_PROVIDER and not (user_only and provider.internal):
            return provider
    return None


def _native_provider(
    config: PlanoConfig, models: Models, env: Mapping[str, str]
) -> Provider | None:
    wanted = env.get(MODEL_ENV, "").strip()
    if wanted:
        try:
            return models.resolve(wanted)
        except Exception:
            raise FunctionCallingSettingsError(
                f"{MODEL_ENV}: no configured model {wanted[:100]!r}"
            ) from None
    if models.table.default is not None:
        return models.table.default
    return next((p for p in config.model_providers if not p.internal and not p.wildcard), None)


def choose_backend(
    config: PlanoConfig, models: Models, env: Mapping[str, str]
) -> BackendChoice | None:
    """The configured backend; None when no model can serve function calling."""
    kind = env.get(BACKEND_ENV, "auto").strip().lower() or "auto"
    if kind not in ("auto", "arch", "native"):
        raise FunctionCallingSettingsError(
            f"{BACKEND_ENV}: expected auto, arch or native, got {kind[:40]!r}"
        )
    arch = _arch_provider(config, user_only=kind == "auto")
    if kind == "arch" or (kind == "auto" and arch is not None):
        if arch is None:
            raise FunctionCallingSettingsError(
                f"{BACKEND_ENV}=arch: no {ARCH_FUNCTION_PROVIDER} provider"
            )
        return BackendChoice("arch", arch.name, arch.model)
    native = _native_provider(config, models, env)
    if native is None:
        return None
    return BackendChoice("native", native.name, native.model)


def timeout_seconds(env: Mapping[str, str]) -> float:
    """The time one function-calling request may take."""
    raw = env.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise FunctionCallingSettingsError(
            f"{TIMEOUT_ENV}: expected a number, got {raw[:40]!r}"
        ) from None
    if not 0 < value <= 3600:
        raise FunctionCallingSettingsError(f"{TIMEOUT_ENV}: must be in (0, 3600], got {raw[:40]!r}")
    return value
