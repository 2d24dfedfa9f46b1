"""Logging setup for the services (placeholder: plain text to stderr)."""

import logging


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send the service's logs to stderr."""
    logging.basicConfig(level=level, format=f"%(asctime)s {service} %(levelname)s %(message)s")
