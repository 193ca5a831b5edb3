"""Strict, fast JSON responses built from numpy arrays, and compressed files.

Big responses (a 64-run descent is ~90 MB of JSON) are built and encoded by
orjson, which writes numpy arrays directly, in a compute worker: the event loop
only sends the bytes. They go out a chunk at a time, so a client that stops
reading holds at most one chunk in the server's send buffer (and the edge drops
it after ``limits.STALLED_CLIENT_SECONDS``, freeing the body); a client that accepts
gzip gets them compressed, in the workers too, a slice per turn (a body of a few MB
built in a worker's turn can be compressed in that turn: ``encoded_response``).

Static files (plotly.min.js is 4.8 MB) are gzipped once per file version, in a
worker, and kept for every later client that accepts gzip.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import struct
import threading
import zlib
from collections.abc import Callable, Collection
from email.utils import formatdate
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import numpy as np
import orjson
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers
from starlette.responses import FileResponse
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Receive, Scope, Send

from app import limits
from app.api import compute

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY

SEND_CHUNK_BYTES = 64 * 1024  # one send of a big body (what a stalled client can hold up)
GZIP_MIN_BYTES = 16 * 1024  # smaller JSON is sent as it is (gzip would gain little)
GZIP_SLICE_BYTES = 4 * 1024 * 1024  # JSON compressed per worker turn (~30 ms at level 1)
RELEASE_AFTER_BYTES = 8 * 1024 * 1024  # after sending a body this big, free memory (below)
JSON_GZIP_LEVEL = 1  # half the size of float-heavy JSON; higher levels gain ~5% at 3-6× the time
FILE_GZIP_LEVEL = 9  # static files are compressed once, so take the smallest
# Static files worth compressing (fonts and images are compressed already).
COMPRESSIBLE_SUFFIXES = frozenset({".js", ".mjs", ".css", ".svg", ".json", ".html", ".txt", ".map"})
GZIP_MIN_FILE_BYTES = 1024


def encode(content: Any) -> bytes:
    """Strict JSON bytes. orjson writes NaN and ±Infinity as null, so a response never
    carries them; the builders turn every non-finite value into null on purpose."""
    return orjson.dumps(content, option=_OPTIONS)


def accepts_gzip(headers: Headers) -> bool:
    """Whether the request's Accept-Encoding allows gzip (``gzip`` or ``*``, q above 0)."""
    allowed: dict[str, bool] = {}
    for item in headers.get("accept-encoding", "").split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding:
            allowed[coding.lower()] = quality > 0
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


async def _send_chunks(send: Send, data: bytes) -> None:
    """``data`` in chunks of ``SEND_CHUNK_BYTES``, the response going on after them."""
    for start in range(0, len(data), SEND_CHUNK_BYTES):
        chunk = data[start : start + SEND_CHUNK_BYTES]
        await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _send_end(send: Send) -> None:
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _compress(compressor, piece: bytes, last: bool) -> bytes:
    compressed = compressor.compress(piece)
    return compressed + compressor.flush() if last else compressed


async def _send_gzipped(send: Send, body: bytes) -> None:
    """``body`` gzipped a slice per worker turn, each piece sent as soon as it is ready
    (the last slice flushed in its own turn: one turn for a body of one slice)."""
    compressor = zlib.compressobj(JSON_GZIP_LEVEL, wbits=31)  # 31: the gzip format
    for start in range(0, len(body), GZIP_SLICE_BYTES):
        stop = start + GZIP_SLICE_BYTES
        compressed = await compute.run(_compress, compressor, body[start:stop], stop >= len(body))
        await _send_chunks(send, compressed)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # glibc
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_MALLOC_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Give memory freed since to the system (glibc keeps it in per-thread arenas otherwise:
    after a few ~90 MB answers built in different workers, hundreds of MB stay in the
    process though nothing uses them). Blocking, for a worker thread; elsewhere a no-op."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class _BigJSONSending:
    """How a JSON response is sent: in chunks, gzipped when big and the client accepts it.

    Mixed into Response classes whose ``body`` is the encoded JSON.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body: bytes = self.body
        compress = False
        if len(body) >= GZIP_MIN_BYTES and "content-encoding" not in self.headers:
            # The same URL may answer gzipped or not: caches must key on Accept-Encoding.
            self.headers.add_vary_header("Accept-Encoding")
            if accepts_gzip(Headers(scope=scope)):
                compress = True
                self.headers["content-encoding"] = "gzip"
                del self.headers["content-length"]  # sent with chunked transfer encoding
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            if scope.get("method") != "HEAD":
                await (_send_gzipped if compress else _send_chunks)(send, body)
            await _send_end(send)
        finally:
            size, self.body, body = len(body), b"", b""  # sent, or the client is gone
            if size >= RELEASE_AFTER_BYTES:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(release_freed_memory)
        if self.background is not None:
            await self.background()


class EncodedJSONResponse(_BigJSONSending, Response):
    """JSON already encoded (by ``encode``, in a worker), perhaps gzipped there too."""

    media_type = "application/json"

    def __init__(self, content: bytes, status_code: int = 200, gzipped: bool = False) -> None:
        super().__init__(content, status_code=status_code)
        if gzipped:
            self.headers["content-encoding"] = "gzip"
            self.headers.add_vary_header("Accept-Encoding")


def encoded_response(content: Any, gzip: bool, numbers: bool = False) -> EncodedJSONResponse:
    """``content`` as an encoded JSON response, built in a worker: gzipped at once (for a
    client that accepts it) when it is big enough to gain and small enough for one turn,
    which saves the turn that would compress it when it is sent (a ghost path asks many
    times a second).

    ``numbers``: the JSON is mostly floats (paths). Their digits never repeat far enough
    for deflate's matches to pay: Huffman coding alone gives the same size (~46%) in
    about 70% of the time. Text that repeats needs the matches (a mix of both: see
    ``encoded_object_response``).
    """
    body = encode(content)
    if gzip and GZIP_MIN_BYTES <= len(body) <= GZIP_SLICE_BYTES:
        strategy = zlib.Z_HUFFMAN_ONLY if numbers else zlib.Z_DEFAULT_STRATEGY
        compressor = zlib.compressobj(JSON_GZIP_LEVEL, zlib.DEFLATED, 31, 8, strategy)
        return EncodedJSONResponse(compressor.compress(body) + compressor.flush(), gzipped=True)
    return EncodedJSONResponse(body)


# What zlib writes before a gzip stream of level 1 (no name, no time, fastest, Unix).
_GZIP_HEADER = bytes.fromhex("1f8b0800000000000403")


def _gzipped_pieces(pieces: list[tuple[bytes, bool]]) -> bytes:
    """One gzip stream of the ``(text, numbers)`` pieces joined, each deflated with the
    strategy that suits it (see ``encoded_response``). Every piece but the last ends at
    a byte boundary (a sync flush) and is not marked final, so the next one's blocks,
    from a compressor of their own, go on the same deflate stream."""
    parts, crc, size = [_GZIP_HEADER], 0, 0
    for index, (text, numbers) in enumerate(pieces):
        strategy = zlib.Z_HUFFMAN_ONLY if numbers else zlib.Z_DEFAULT_STRATEGY
        compressor = zlib.compressobj(JSON_GZIP_LEVEL, zlib.DEFLATED, -15, 8, strategy)
        parts.append(compressor.compress(text))
        parts.append(
            compressor.flush(zlib.Z_FINISH if index == len(pieces) - 1 else zlib.Z_SYNC_FLUSH)
        )
        crc, size = zlib.crc32(text, crc), size + len(text)
    parts.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(parts)


def encoded_object_response(
    content: dict[str, Any], gzip: bool, numbers: Collection[str]
) -> EncodedJSONResponse:
    """``encoded_response`` for an object some of whose fields (``numbers``) are mostly
    floats: the same JSON, gzipped with Huffman coding alone for those fields' text and
    with deflate's matches for the rest (a basin map's statuses and step counts repeat).
    """
    if not content:
        return encoded_response(content, gzip)
    texts = [
        (b"," if index else b"{") + encode(key) + b":" + encode(value)
        for index, (key, value) in enumerate(content.items())
    ]
    texts[-1] += b"}"
    # A run of fields of one kind is one piece, deflated by one compressor.
    kinds = groupby(zip(texts, [key in numbers for key in content], strict=True), itemgetter(1))
    pieces = [(b"".join(text for text, _ in run), huffman) for huffman, run in kinds]
    body = b"".join(text for text, _ in pieces)
    if gzip and GZIP_MIN_BYTES <= len(body) <= GZIP_SLICE_BYTES:
        return EncodedJSONResponse(_gzipped_pieces(pieces), gzipped=True)
    return EncodedJSONResponse(body)


class StrictJSONResponse(_BigJSONSending, JSONResponse):
    """JSON that can never contain NaN or Infinity, encoded by orjson."""

    def render(self, content: Any) -> bytes:
        return encode(content)


async def json_response(
    build: Callable[..., Any], *args: Any, status_code: int = 200
) -> EncodedJSONResponse:
    """``build(*args)`` encoded as JSON, both done in a compute worker (off the event loop)."""

    def build_and_encode() -> bytes:
        return encode(build(*args))

    body = await compute.run(build_and_encode)
    return EncodedJSONResponse(body, status_code=status_code)


def finite_or_null_array(values: np.ndarray) -> np.ndarray:
    """``finite_or_none`` for ``encode`` alone, without the lists: a C-ordered float array,
    which orjson writes as the same nested lists, null wherever a value is not finite
    (~10× faster for a 100×100 map)."""
    return np.ascontiguousarray(values, dtype=float)


def without_non_finite(value: Any) -> Any:
    """A JSON-able value with every NaN or ±Infinity float replaced by its name as a string."""
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: without_non_finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_non_finite(v) for v in value]
    return value


# Error bodies: what they may quote of the input

# A message is ours, quoting at most one excerpt of the input.
MAX_ERROR_MESSAGE = 240 + limits.MAX_ERROR_EXCERPT


def cut(text: str, limit: int = limits.MAX_ERROR_EXCERPT) -> str:
    """``text``, cut to ``limit`` characters (the last one an ellipsis when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_pieces(value: Any, limit: int):
    """Compact JSON text of ``value`` piece by piece, each string cut to ``limit``
    (a caller stops reading once it has enough: a huge or deep value costs no more)."""
    if isinstance(value, dict):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield ("," if index else "") + orjson.dumps(cut(str(key), limit)).decode() + ":"
            yield from _json_pieces(item, limit)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _json_pieces(item, limit)
        yield "]"
    elif isinstance(value, str):
        yield orjson.dumps(cut(value, limit)).decode()
    elif value is None or isinstance(value, bool | int | float):
        yield orjson.dumps(value).decode() if value == value else "NaN"
    else:
        yield orjson.dumps(cut(str(value), limit)).decode()


def excerpt(value: Any, limit: int = limits.MAX_ERROR_EXCERPT) -> Any:
    """What an error body may quote of an input ``value``: itself when short; else a
    string of at most ``limit`` characters, the start of its JSON and, for a list or an
    object, how many items it has."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value[: limit * 4]).decode(errors="replace")
    if isinstance(value, str):
        return cut(value, limit)
    if not isinstance(value, dict | list | tuple):
        return value
    text = ""
    for piece in _json_pieces(value, limit):
        text += piece
        if len(text) > limit:
            break
    else:
        return value  # short enough whole
    kind = "key" if isinstance(value, dict) else "item"
    size = f"… ({len(value):,} {kind}{'' if len(value) == 1 else 's'})"
    return text[: limit - len(size)] + size


def bounded_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors that quote at most an excerpt of the input: in ``input``, in the
    parts of ``loc`` (a bad key is an input too), in ``ctx`` and in ``msg``."""
    bounded = []
    for error in errors:
        error = dict(error)
        error["loc"] = [part if isinstance(part, int) else cut(str(part)) for part in error["loc"]]
        error["msg"] = cut(str(error["msg"]), MAX_ERROR_MESSAGE)
        if "input" in error:
            error["input"] = excerpt(error["input"])
        if isinstance(error.get("ctx"), dict):
            error["ctx"] = {
                key: item
                if isinstance(item, bool | int | float | None)
                else excerpt(item if isinstance(item, str | dict | list | tuple) else str(item))
                for key, item in error["ctx"].items()
            }
        bounded.append(error)
    return bounded


# Static files


class _GzipCache:
    """Each static file gzipped once per version (path, size, mtime), kept for the process."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[tuple[int, int], bytes]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def cached(self, path: str, stat_result: os.stat_result) -> bytes | None:
        """This version's gzipped bytes if already compressed (a dict look-up: fine on the loop)."""
        cached = self._entries.get(path)
        if cached is not None and cached[0] == (stat_result.st_size, stat_result.st_mtime_ns):
            return cached[1]
        return None

    def gzipped(self, path: str, stat_result: os.stat_result) -> bytes:
        """The file gzipped (compressed now if this version is not cached yet; blocking)."""
        version = (stat_result.st_size, stat_result.st_mtime_ns)
        with self._locks_lock:
            lock = self._locks.setdefault(path, threading.Lock())
        with lock:  # many first requests at once: one compresses, the others wait for it
            cached = self._entries.get(path)
            if cached is not None and cached[0] == version:
                return cached[1]
            body = zlib.compress(Path(path).read_bytes(), FILE_GZIP_LEVEL, wbits=31)
            self._entries[path] = (version, body)
            return body


gzip_cache = _GzipCache()


def compressible(path: str | os.PathLike, stat_result: os.stat_result) -> bool:
    return (
        Path(path).suffix.lower() in COMPRESSIBLE_SUFFIXES
        and stat_result.st_size >= GZIP_MIN_FILE_BYTES
    )


class GzippedFileResponse(Response):
    """A static file's gzipped version, from ``gzip_cache`` (compressed in a worker if new)."""

    def __init__(self, path: str | os.PathLike, stat_result: os.stat_result) -> None:
        # The plain file's headers (type, Last-Modified, ETag) are the starting point.
        plain = FileResponse(path, stat_result=stat_result)
        super().__init__(status_code=200, media_type=plain.media_type)
        self.path, self.stat_result = str(path), stat_result
        self.headers["last-modified"] = formatdate(stat_result.st_mtime, usegmt=True)
        self.headers["etag"] = gzipped_etag(plain.headers["etag"])
        self.headers["content-encoding"] = "gzip"
        self.headers["vary"] = "Accept-Encoding"
        self.headers["cache-control"] = STATIC_CACHE_CONTROL
        del self.headers["content-length"]  # known once compressed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Only a file not compressed yet takes a worker's turn (a page load asks for ~30).
        body = gzip_cache.cached(self.path, self.stat_result) or await compute.run(
            gzip_cache.gzipped, self.path, self.stat_result
        )
        self.headers["content-length"] = str(len(body))
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        if scope.get("method") != "HEAD":
            await _send_chunks(send, body)
        await _send_end(send)


# Asset URLs carry no version, so a browser asks again each time (If-None-Match) and
# gets a 304 while the file is unchanged: never a stale script after an update.
STATIC_CACHE_CONTROL = "no-cache"


def gzipped_etag(plain_etag: str) -> str:
    """The gzipped version's ETag: another representation, so another strong tag."""
    tag = plain_etag.strip('"')
    return f'"{hashlib.md5(f"{tag}-gzip".encode(), usedforsecurity=False).hexdigest()}"'


def file_response(
    path: str | os.PathLike, stat_result: os.stat_result, request_headers: Headers
) -> Response:
    """A static file as ``StaticFiles`` would serve it (304 when unchanged, byte ranges),
    gzipped for a client that accepts it, and saying how to cache it."""
    if not compressible(path, stat_result):
        response: Response = FileResponse(path, stat_result=stat_result)
    elif accepts_gzip(request_headers) and "range" not in request_headers:
        response = GzippedFileResponse(path, stat_result)
    else:
        response = FileResponse(path, stat_result=stat_result)
        response.headers["vary"] = "Accept-Encoding"
    response.headers["cache-control"] = STATIC_CACHE_CONTROL
    # StaticFiles' own rule (If-None-Match, else If-Modified-Since); it uses no instance state.
    if StaticFiles.is_not_modified(None, response.headers, request_headers):  # type: ignore[arg-type]
        return NotModifiedResponse(response.headers)
    return response


class CompressedStaticFiles(StaticFiles):
    """``StaticFiles`` serving ``file_response``: gzip for clients that accept it."""

    def file_response(
        self,
        full_path: str | os.PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        if status_code != 200:  # the 404 page of an html=True mount
            return super().file_response(full_path, stat_result, scope, status_code)
        return file_response(full_path, stat_result, Headers(scope=scope))
