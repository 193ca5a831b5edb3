"""Server settings a teacher may change (``python -m app --help`` lists the flags).

The flags of ``python -m app`` are carried in environment variables, so every
worker process of ``python -m app --workers N`` (uvicorn imports ``app.main``
anew in each) reads the same settings. Read once, at import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _words(name: str, default: str = "") -> tuple[str, ...]:
    return tuple(os.environ.get(name, default).split())


@dataclass(frozen=True)
class Settings:
    # Origins (scheme://host[:port]) besides the page's own that may open WS /ws/train.
    # A browser page from anywhere else is refused, so no other site can drive a local server.
    allowed_origins: tuple[str, ...]
    # Who may embed the pages in a frame (CSP frame-ancestors): 'self' unless a teacher
    # adds the course site.
    frame_ancestors: tuple[str, ...]
    # Live training sessions at once (per worker process); one more is refused with 1013.
    max_sessions: int
    # A session with no message from its client for this long, and not training, is closed.
    idle_seconds: float
    # Teachers' folders of lesson files, added to the course after its own lessons.
    lesson_folders: tuple[str, ...] = ()


def load() -> Settings:
    return Settings(
        allowed_origins=_words("GH_ALLOWED_ORIGINS"),
        frame_ancestors=_words("GH_FRAME_ANCESTORS", "'self'"),
        max_sessions=int(os.environ.get("GH_MAX_SESSIONS", "64")),
        idle_seconds=float(os.environ.get("GH_IDLE_SECONDS", "600")),
        lesson_folders=tuple(
            folder for folder in os.environ.get("GH_LESSONS_DIR", "").split(os.pathsep) if folder
        ),
    )


settings = load()
