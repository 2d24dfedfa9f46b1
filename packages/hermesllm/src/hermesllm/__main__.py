"""`python -m hermesllm`: print the version."""

import sys

from hermesllm import __version__


def main() -> None:
    """Print the package version."""
    sys.stdout.write(f"hermesllm {__version__}\n")


if __name__ == "__main__":
    main()
