"""The small Markdown of lesson text, parsed into a tree the page draws without HTML.

A lesson is written by a teacher and drawn by the browser. Parsing it here, once,
means a mistake (an unclosed ``**`` or ``$``, a ``javascript:`` link) is an error
when the lesson is loaded, naming where it is, and the page never turns lesson
text into HTML: it builds elements from the tree, so raw HTML in a lesson is shown
as the text it is.

The subset:

- paragraphs, separated by a blank line; lines of one paragraph are joined;
- lists: lines starting with ``- `` or ``* `` (bullets) or ``1. `` (numbered); a
  line indented under an item continues it;
- ``**bold**``, ``*italic*``, ```code```, ``[text](link)``;
- maths in ``$…$`` (inline) or a paragraph that is ``$$…$$`` (display), typeset
  with KaTeX on the page;
- a backslash makes the next character plain: ``\\$5``, ``\\*``.

Links go to ``http(s)://…``, a path on this site (``/lessons/…``) or ``#…``.

The tree, as JSON: a list of blocks —
``{"type": "paragraph", "children": [inline…]}``,
``{"type": "list", "ordered": bool, "items": [[inline…], …]}``,
``{"type": "math", "tex": "…"}`` (display) — where an inline is
``{"type": "text", "text"}``, ``{"type": "strong" | "em", "children"}``,
``{"type": "code", "text"}``, ``{"type": "math", "tex"}`` or
``{"type": "link", "href", "children"}``.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

Inline = dict[str, Any]
Block = dict[str, Any]

_BULLET = re.compile(r"^[-*]\s+")
_NUMBER = re.compile(r"^\d{1,3}\.\s+")
_SAFE_LINK = re.compile(r"^(https?://[^\s]+|/[^\s]*|#[^\s]*)$")
_PLAIN_AFTER_BACKSLASH = set("\\`*_{}[]()#+-.!$|<>~")


class MarkdownError(ValueError):
    """A mistake in lesson text; the message says what and on which line."""


def parse(text: str) -> list[Block]:
    """Lesson text → its blocks (see the module docstring). Raises MarkdownError."""
    lines = textwrap.dedent(text).strip("\n").splitlines()
    blocks: list[Block] = []
    for first_line, chunk in _chunks(lines):
        blocks.append(_block(chunk, first_line))
    return blocks


def parse_inline(text: str) -> list[Inline]:
    """One line of text (a choice, a title with maths) → its inlines."""
    blocks = parse(text)
    if len(blocks) != 1 or blocks[0]["type"] != "paragraph":
        raise MarkdownError("must be a single paragraph of text (no blank line, list or $$ maths)")
    return blocks[0]["children"]


def plain_text(blocks: list[Block]) -> str:
    """The words of a tree without its markup (for a summary or an aria label)."""

    def inline(nodes: list[Inline]) -> str:
        out = []
        for node in nodes:
            if node["type"] in ("text", "code"):
                out.append(node["text"])
            elif node["type"] == "math":
                out.append(node["tex"])
            else:
                out.append(inline(node["children"]))
        return "".join(out)

    parts = []
    for block in blocks:
        if block["type"] == "paragraph":
            parts.append(inline(block["children"]))
        elif block["type"] == "list":
            parts.extend(inline(item) for item in block["items"])
        else:
            parts.append(block["tex"])
    return " ".join(parts)


def _chunks(lines: list[str]):
    """(first line number, lines) of each block: runs of lines between blank lines."""
    chunk: list[str] = []
    start = 1
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not chunk:
                start = number
            chunk.append(line.rstrip())
        elif chunk:
            yield start, chunk
            chunk = []
    if chunk:
        yield start, chunk


def _block(chunk: list[str], first_line: int) -> Block:
    joined = " ".join(line.strip() for line in chunk)
    if joined.startswith("$$"):
        if not joined.endswith("$$") or len(joined) < 5:
            raise MarkdownError(f"line {first_line}: display maths opened with $$ is not closed")
        tex = joined[2:-2].strip()
        if "$$" in tex:
            raise MarkdownError(f"line {first_line}: one $$…$$ formula per paragraph")
        return {"type": "math", "tex": tex}
    first = chunk[0].lstrip()
    for marker, ordered in ((_BULLET, False), (_NUMBER, True)):
        if marker.match(first):
            return {"type": "list", "ordered": ordered, "items": _items(chunk, marker, first_line)}
    return {"type": "paragraph", "children": _inlines(joined, first_line)}


def _items(chunk: list[str], marker: re.Pattern, first_line: int) -> list[list[Inline]]:
    items: list[tuple[int, list[str]]] = []
    for offset, line in enumerate(chunk):
        stripped = line.lstrip()
        found = marker.match(stripped)
        if found and len(line) - len(stripped) < 2:  # an item (not indented under one)
            items.append((first_line + offset, [stripped[found.end() :]]))
        else:
            items[-1][1].append(stripped)  # continues the item above
    return [_inlines(" ".join(words), number) for number, words in items]


def _inlines(text: str, line: int) -> list[Inline]:
    nodes, _ = _scan(text, 0, None, line)
    return nodes


def _scan(text: str, i: int, closing: str | None, line: int) -> tuple[list[Inline], int]:
    """Inlines from text[i:] up to `closing` ("**", "*" or "]"); returns them and the
    index just after the closing mark (or the end of the text)."""
    nodes: list[Inline] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            nodes.append({"type": "text", "text": "".join(plain)})
            plain.clear()

    while i < len(text):
        char = text[i]
        if (
            closing
            and text.startswith(closing, i)
            and not (closing == "*" and text.startswith("**", i))
        ):
            flush()
            return nodes, i + len(closing)
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _PLAIN_AFTER_BACKSLASH:
            plain.append(text[i + 1])
            i += 2
        elif char in "`$":
            close = text.find(char, i + 1)
            what = "code" if char == "`" else "maths"
            if close == -1:
                hint = " (a dollar sign in words is written \\$)" if char == "$" else ""
                raise MarkdownError(f"line {line}: {what} opened with {char} is not closed{hint}")
            inner = text[i + 1 : close]
            if not inner.strip():
                raise MarkdownError(f"line {line}: empty {what} {char}{char}")
            flush()
            nodes.append(
                {"type": "code", "text": inner} if char == "`" else {"type": "math", "tex": inner}
            )
            i = close + 1
        elif text.startswith("**", i):
            flush()
            children, i = _scan_closed(text, i + 2, "**", line, "bold text opened with **")
            nodes.append({"type": "strong", "children": children})
        elif char == "*":
            flush()
            children, i = _scan_closed(
                text,
                i + 1,
                "*",
                line,
                "italic text opened with *",
                " (a star in words is written \\*)",
            )
            nodes.append({"type": "em", "children": children})
        elif char == "[":
            flush()
            children, i = _scan_closed(text, i + 1, "]", line, "a link's text opened with [")
            if not text.startswith("(", i):
                raise MarkdownError(
                    f"line {line}: a link is written [text](address); the (address) is missing"
                )
            close = text.find(")", i)
            if close == -1:
                raise MarkdownError(f"line {line}: a link's (address) is not closed")
            href = text[i + 1 : close].strip()
            if not _SAFE_LINK.match(href):
                raise MarkdownError(
                    f"line {line}: the link “{href[:60]}” must start with https://, http://, / or #"
                )
            nodes.append({"type": "link", "href": href, "children": children})
            i = close + 1
        else:
            plain.append(char)
            i += 1
    if closing:
        return nodes, -1  # not closed: the caller names what
    flush()
    return nodes, i


def _scan_closed(
    text: str, i: int, closing: str, line: int, what: str, hint: str = ""
) -> tuple[list[Inline], int]:
    children, end = _scan(text, i, closing, line)
    if end == -1:
        raise MarkdownError(f"line {line}: {what} is not closed{hint}")
    if not children:
        raise MarkdownError(f"line {line}: {what} is empty")
    return children, end
