"""`plano-fake-upstream --port N`: run the fake upstream as a process (benchmarks, manual use)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options of the fake upstream."""
    parser = argparse.ArgumentParser(prog="plano-fake-upstream", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=8080, help="port to bind (0 = any free port)")
    parser.add_argument("--text", default=None, help="fixed reply text (default: echo mode)")
    parser.add_argument(
        "--first-byte-delay", type=float, default=0.0, help="seconds before the response"
    )
    parser.add_argument(
        "--chunk-gap", type=float, default=0.0, help="seconds between stream events"
    )
    parser.add_argument("--no-uvloop", action="store_true", help="use the default asyncio loop")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Run until SIGTERM or SIGINT."""
    reply = Reply(text=args.text, first_byte_delay=args.first_byte_delay, chunk_gap=args.chunk_gap)
    async with FakeUpstream(host=args.host, port=args.port, default_reply=reply) as fake:
        sys.stdout.write(f"fake upstream listening on {fake.url}\n")
        sys.stdout.flush()
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of `plano-fake-upstream` and `python -m plano_testkit`."""
    args = parse_args(argv)
    if not args.no_uvloop:
        with contextlib.suppress(ImportError):
            import uvloop

            uvloop.install()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
