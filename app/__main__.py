"""``python -m app``: serve Gradient Hiker (default http://127.0.0.1:8000)."""

from __future__ import annotations

import argparse
import os

# The server already runs one worker per core (app/api/compute.py); OpenBLAS's own
# threads on top of them fight for the same cores (training a large network ran
# about 6× slower with them). Set before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import uvicorn  # noqa: E402

# Only modules that do not read the settings: app.config must first be imported after
# the flags are in the environment (below), here and in every worker process.
from app import serving  # noqa: E402


def _checked(check):
    """An argparse type from a check raising ValueError, keeping the check's message."""

    def parse(text: str) -> str:
        try:
            return check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = check.__name__  # argparse names the type in its messages
    return parse


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description=__doc__,
        epilog="README.md, section 'Serving a class', says how to size these for a course.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--workers",
        type=_positive(int),
        default=1,
        metavar="N",
        help="server processes (default 1); HTTP requests go to any, "
        "a live training session stays in the one it started in",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        type=_checked(serving.web_origin),
        default=[],
        metavar="ORIGIN",
        help="a site (https://host[:port]) whose pages may open live training sessions here, "
        "besides the server's own pages; repeat for several",
    )
    parser.add_argument(
        "--frame-ancestors",
        action="append",
        type=_checked(serving.csp_source),
        default=[],
        metavar="SOURCE",
        help="a site (e.g. https://course.example.org) that may embed the pages in a frame, "
        "besides the server's own; repeat for several",
    )
    parser.add_argument(
        "--max-sessions",
        type=_positive(int),
        metavar="N",
        help="live training sessions at once, per worker (default 64); "
        "one more is refused and the page says so",
    )
    parser.add_argument(
        "--idle-seconds",
        type=_positive(float),
        metavar="S",
        help="close a live session whose page sent nothing for this long "
        "and that is not training (default 600)",
    )
    parser.add_argument(
        "--limit-concurrency",
        type=_positive(int),
        metavar="N",
        help="connections at once per worker; past it new requests get 503 (default: no limit)",
    )
    parser.add_argument(
        "--lessons",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of lesson files (*.toml, README.md 'Lessons') added to the course; "
        "repeat for several",
    )
    parser.add_argument(
        "--timeout-keep-alive",
        type=_positive(int),
        default=serving.KEEP_ALIVE_SECONDS,
        metavar="S",
        help=f"close an idle HTTP connection after S seconds "
        f"(default {serving.KEEP_ALIVE_SECONDS})",
    )
    return parser


def settings_environment(args: argparse.Namespace) -> dict[str, str]:
    """The GH_* variables app.config reads, for the flags given (unset flags keep the defaults)."""
    environment = {}
    if args.allow_origin:
        environment["GH_ALLOWED_ORIGINS"] = " ".join(args.allow_origin)
    if args.frame_ancestors:
        environment["GH_FRAME_ANCESTORS"] = " ".join(["'self'", *args.frame_ancestors])
    if args.max_sessions is not None:
        environment["GH_MAX_SESSIONS"] = str(args.max_sessions)
    if args.idle_seconds is not None:
        environment["GH_IDLE_SECONDS"] = str(args.idle_seconds)
    if args.lessons:
        environment["GH_LESSONS_DIR"] = os.pathsep.join(os.path.abspath(d) for d in args.lessons)
    return environment


def check_lessons(folders: list[str]) -> None:
    """Refuse to start, saying which file and why, if a lesson file is broken."""
    from app.lessons import LessonError, load_course

    try:
        load_course(tuple(folders))
    except LessonError as error:
        raise SystemExit(f"python -m app: the lessons cannot be loaded:\n{error}") from None


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    # Every worker process inherits the environment, so all read the same settings.
    os.environ.update(settings_environment(args))
    check_lessons(args.lessons)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Gradient Hiker is serving at http://{host}:{args.port}/  (Ctrl+C stops it)")
    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        **serving.uvicorn_options(
            limit_concurrency=args.limit_concurrency,
            timeout_keep_alive=args.timeout_keep_alive,
        ),
    )


if __name__ == "__main__":
    main()
