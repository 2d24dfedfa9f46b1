"""Each provider's wire format, rendered from a provider-agnostic `Turn`."""
