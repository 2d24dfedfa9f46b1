"""`llm-gateway --config FILE`: run the llm-gateway service on :12001."""

from collections.abc import Sequence

from llm_gateway.app import build_app
from llm_gateway.startup import max_body_bytes, startup_summary
from plano_common.service import ServiceSpec
from plano_common.service import main as run_service

SPEC = ServiceSpec(
    name="llm-gateway",
    default_port=12001,
    build_app=build_app,
    summary=startup_summary,
    max_body_bytes=max_body_bytes,
)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the service from the command line."""
    run_service(SPEC, argv)


if __name__ == "__main__":
    main()
