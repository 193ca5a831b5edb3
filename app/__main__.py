"""``python -m app``: serve Gradient Hiker (default http://127.0.0.1:8000)."""

from __future__ import annotations

import argparse
import os

# The server already runs one worker per core (app/api/compute.py); OpenBLAS's own
# threads on top of them fight for the same cores (training a large network ran
# about 6× slower with them). Set before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import uvicorn  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    args = parser.parse_args(argv)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Gradient Hiker is serving at http://{host}:{args.port}/  (Ctrl+C stops it)")
    uvicorn.run("app.main:app", host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
