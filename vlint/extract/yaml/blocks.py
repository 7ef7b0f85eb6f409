"""Lines that hold only template expressions, settled by where they stand: inside a block scalar or not.

YAML takes a block scalar's indentation from its first non-empty line and ends the scalar at the first
line indented less, so a template line inside `run: |` must neither be deeper than the content when it
comes first nor shallower while the scalar goes on. Helm's `{{- if }}` at column 0 inside a block is common
(its `{{-` trims the line away when rendered). So, found by a line scan of the masked text:

* outside block scalars a template line is blank: a directive prints nothing, and what an expression prints
  there (`{{- toYaml .Values.labels | nindent 4 }}`) is YAML structure we cannot know;
* inside a block scalar a directive (`masking.prints_nothing`) is an empty line, and an expression that prints is a
  placeholder at its own indentation when that is at least the scalar's, else at the scalar's indentation
  (a line of a script we cannot know, like `${{ matrix.setup }}` in a `run: |`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A block scalar header: indentation, block-sequence dashes, an optional key (quoted or plain) with its
# colon, optional tag or anchor, then `|` or `>` with indicators, and at most a comment after it.
_HEADER_RE = re.compile(
    r"(?P<lead> *(?:- +)*)"
    r"(?P<key>(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^ \t#'\"\[\]{},|>!&*?:-][^#]*?|[?:-][^ \t#][^#]*?)"
    r"[ \t]*:[ \t]+)?"
    r"(?:[!&][^ \t]*[ \t]+)*"
    r"[|>](?:(?P<n1>[1-9])[+-]?|[+-](?P<n2>[1-9])?)?[ \t]*(?:#.*)?")


@dataclass
class TemplateLines:
    """What the masking knows about each line: which hold only expressions, and of those which print nothing
    and which continue an expression that began on an earlier line."""

    only: set[int] = field(default_factory=set)
    silent: set[int] = field(default_factory=set)
    continued: set[int] = field(default_factory=set)


@dataclass
class _Block:
    parent: int  # content must be indented deeper than this
    indent: int | None  # the content's indentation, once known


def block_header(line: str) -> _Block | None:
    """The block scalar a line opens, or None."""
    match = _HEADER_RE.fullmatch(line)
    if match is None:
        return None
    lead = match.group("lead")
    if match.group("key") is not None:
        parent = len(lead)
    else:
        dashes = lead.rstrip()
        if not dashes and line.strip()[:1] not in "|>":
            return None
        parent = len(dashes) - 1 if dashes else -1
    explicit = match.group("n1") or match.group("n2")
    return _Block(parent, max(parent, 0) + int(explicit) if explicit else None)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def settle_template_lines(lines: list[str], templates: TemplateLines) -> None:
    """Rewrite, in place, the lines that hold only (masked) expressions (module docstring)."""
    block: _Block | None = None
    pending: list[int] = []  # template lines of the current block, placed when the next content line is seen
    for row, line in enumerate(lines):
        if row in templates.only:
            if block is None:
                lines[row] = ""
            else:
                pending.append(row)
            continue
        if not line.strip():
            continue
        if block is not None:
            indent = _indent(line)
            if block.indent is None and indent > block.parent:
                _place(lines, templates, pending, block, following=indent)
                block.indent = block.indent if block.indent is not None else indent
                pending = []
            if block.indent is not None and indent >= block.indent:
                _place(lines, templates, pending, block, following=indent)
                pending = []
                continue
            _place(lines, templates, pending, block, following=None)
            block, pending = None, []
        block = block_header(line)
    if block is not None:
        _place(lines, templates, pending, block, following=None)


def _place(lines: list[str], templates: TemplateLines, rows: list[int], block: _Block, *,
           following: int | None) -> None:
    """Template lines met inside a block, before a content line indented `following`, or at the block's end
    (`following` None, where a shallower line may belong to the structure around the block).

    A line that would come first in the block stays at its own indentation when raw YAML would take that
    indentation too (deeper than the parent, not deeper than the content after it); a deeper one would make
    the content end the block, so a directive there is empty and an expression moves to the content's
    indentation."""
    for row in rows:
        line = lines[row]
        own, body = _indent(line), line.lstrip(" ")
        quiet = row in templates.silent or row in templates.continued
        if block.indent is None:
            if block.parent < own and (following is None or own <= following) and not (quiet and following is None):
                lines[row], block.indent = " " * own + body, own
            elif quiet:
                lines[row] = ""
            else:
                at = following if following is not None else max(own, block.parent + 1)
                lines[row], block.indent = " " * at + body, at
        elif own >= block.indent:
            lines[row] = "" if quiet else line
        elif following is not None:
            lines[row] = "" if quiet else " " * block.indent + body
        else:
            lines[row] = ""
