"""`llm-gateway --config FILE`: run the llm-gateway service on :12001."""

from collections.abc import Sequence

from llm_gateway.app import build_app
from plano_common.service import ServiceSpec
from plano_common.service import main as run_service

SPEC = ServiceSpec(name="llm-gateway", default_port=12001, build_app=build_app)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the service from the command line."""
    run_service(SPEC, argv)


if __name__ == "__main__":
    main()
