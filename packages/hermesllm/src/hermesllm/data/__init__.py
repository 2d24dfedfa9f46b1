"""Package data of hermesllm (the model catalog)."""
