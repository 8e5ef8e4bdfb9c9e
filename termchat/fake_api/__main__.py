"""``python -m termchat.fake_api [--port N] [--delay S] [--job-seconds Q,R]``: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import time

from .server import FakeAPI


def _job_seconds(text: str) -> tuple[float, float]:
    queued, sep, running = text.partition(",")
    try:
        seconds = (float(queued), float(running))
    except ValueError:
        seconds = (-1.0, -1.0)
    if not sep or min(seconds) < 0 or any(s != s or s == float("inf") for s in seconds):
        raise argparse.ArgumentTypeError(f"expected Q,R (seconds queued, then in progress), got {text!r}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m termchat.fake_api", description="Serve the termchat fake OpenAI API locally."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds between streamed deltas (default 0.02)")
    parser.add_argument(
        "--no-conversations", action="store_true", help="answer 404 for /v1/conversations (like compatible servers)"
    )
    parser.add_argument("--no-compact", action="store_true")
    parser.add_argument("--no-background", action="store_true")
    parser.add_argument(
        "--job-seconds",
        type=_job_seconds,
        default=(1.0, 2.0),
        metavar="Q,R",
        help="a background job is queued Q seconds, then in progress R seconds (default 1,2)",
    )
    args = parser.parse_args(argv)
    api = FakeAPI(
        host=args.host,
        port=args.port,
        delay=args.delay,
        conversations=not args.no_conversations,
        compact=not args.no_compact,
        background=not args.no_background,
        job_seconds=args.job_seconds,
    )
    print(api.start(), flush=True)
    print("Serving the termchat fake API; press Ctrl-C to stop.", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
