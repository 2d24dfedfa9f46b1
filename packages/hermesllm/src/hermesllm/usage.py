"""Token usage in one shape for every API."""

import msgspec

__all__ = ["Usage"]


class Usage(msgspec.Struct, omit_defaults=True):
    """Token counts of one response. `input_tokens` excludes nothing: it is the prompt total."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens
