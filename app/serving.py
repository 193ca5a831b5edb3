"""How uvicorn serves the app, in one place: ``python -m app``, the tests' live server
and the benchmarks all start it with these options.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from app import limits

# uvicorn's own default; `python -m app --timeout-keep-alive` changes it.
KEEP_ALIVE_SECONDS = 5

# Stopping the server (Ctrl+C) waits this long at most for responses still being sent.
GRACEFUL_SHUTDOWN_SECONDS = 10


def uvicorn_options(
    *,
    limit_concurrency: int | None = None,
    timeout_keep_alive: int = KEEP_ALIVE_SECONDS,
) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` (besides app, host, port).

    A WebSocket message over ``limits.MAX_WS_MESSAGE_BYTES`` closes its socket (1009);
    uvicorn's WebSocket protocol stops reading a socket while one of its messages waits
    for the app, so a stuck session holds at most one.

    ``limit_concurrency``: connections and tasks at once per worker process; past it
    uvicorn answers 503 (None: no limit).
    """
    return {
        "log_level": "warning",
        "ws_max_size": limits.MAX_WS_MESSAGE_BYTES,
        "limit_concurrency": limit_concurrency,
        "timeout_keep_alive": timeout_keep_alive,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }


def web_origin(text: str) -> str:
    """``scheme://host[:port]`` as a browser sends it in ``Origin`` (lower case, no slash).

    Raises ValueError for anything else (a path, a query, another scheme).
    """
    parts = urlsplit(text.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(f"{text!r} is not an origin like https://course.example.org[:port]")
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        raise ValueError(f"{text!r} has an invalid port") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{port}"


# A CSP source expression that may stand in frame-ancestors: 'self', 'none', a scheme
# (https:) or a host with optional scheme, *. wildcard, port and path. Nothing that could
# end the directive (; ,) or add another source (spaces).
_CSP_SOURCE = re.compile(
    r"'self'|'none'|\*|[a-z][a-z0-9+.-]*:"
    r"|([a-z][a-z0-9+.-]*://)?(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:(\d+|\*))?(/[^\s;,']*)?",
    re.IGNORECASE,
)


def csp_source(text: str) -> str:
    """``text`` if it is one CSP source (https://course.example.org, 'self', …); else ValueError."""
    if not _CSP_SOURCE.fullmatch(text):
        raise ValueError(f"{text!r} is not a CSP source like https://course.example.org or 'self'")
    return text
