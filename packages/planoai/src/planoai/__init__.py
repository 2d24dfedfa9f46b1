"""The `planoai` command line: run the Plano services from one config."""

__version__ = "0.1.0"

__all__ = ["__version__"]
