"""Development-only test kit: a fake LLM upstream and helpers."""
