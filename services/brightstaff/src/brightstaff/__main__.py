"""`brightstaff --config FILE`: run the brightstaff service on :9091."""

from collections.abc import Sequence

from brightstaff.app import build_app
from plano_common.service import ServiceSpec
from plano_common.service import main as run_service

SPEC = ServiceSpec(name="brightstaff", default_port=9091, build_app=build_app)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the service from the command line."""
    run_service(SPEC, argv)


if __name__ == "__main__":
    main()
