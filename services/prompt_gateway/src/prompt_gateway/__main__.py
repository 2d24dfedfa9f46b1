"""`prompt-gateway --config FILE`: run the prompt-gateway service on :10001."""

from collections.abc import Sequence

from plano_common.service import ServiceSpec
from plano_common.service import main as run_service
from prompt_gateway.app import build_app

SPEC = ServiceSpec(name="prompt-gateway", default_port=10001, build_app=build_app)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the service from the command line."""
    run_service(SPEC, argv)


if __name__ == "__main__":
    main()
