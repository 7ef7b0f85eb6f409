"""Jupyter notebooks (`.ipynb`): code cells as Python, `!cmd` and `%%bash` as shell; never executed.

A notebook is JSON, so a finding must point at a line of the JSON text (a SARIF region is checked against
the file as stored): each cell source line is mapped to the JSON line where its string sits. nbformat
writes one source line per JSON string, one string per line; a `source` given as one string maps all its
lines to the line of that string.

Code cells run in order in one kernel, so their Python is read as one module (a model name set in cell 1
and used in cell 4 resolves); if one cell does not parse, each cell is read alone. IPython syntax is
neutralised first (`vlint.extract.embed.ipython_cell`). Outputs are ignored: they are what ran, not code.

Context: code cells are "code". A notebook is a program its author runs — the echo shows up in its own
saved outputs — not prose advice, so its findings keep their rule's severity. Fenced blocks in markdown
cells are documentation, as in a README, and are "docs". Variables a notebook sets (`%env`, `%%bash`)
live in its kernel only, so no `EnvBinding` is published to the project.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from json.decoder import scanstring
from typing import Any

from vlint.extract.embed import (
    Line,
    Snippet,
    drop_env,
    extract_snippet,
    ipython_cell,
    might_hold_facts,
    snippet_from_lines,
)
from vlint.extract.expansion import bounded
from vlint.facts import FileFacts, ParseError

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null|NaN|-?Infinity")
_SOURCE_KEYS = frozenset({"source", "input"})  # nbformat 4 and 3


@dataclass(frozen=True)
class _Located:
    """A cell's source string and the offset in the JSON text where its content starts."""

    text: str
    offset: int


class _SourceLocator:
    """Walks already-validated JSON and records where each cell's source strings sit.

    `json.loads` cannot say where a value was, so this small scanner re-reads the structure (strings go
    through the C `scanstring`, so large outputs stay cheap) and keeps the offsets of the strings under
    `"source"`/`"input"` keys, by the identity of the object that holds them.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.sources: dict[int, list[_Located]] = {}

    def value(self, i: int) -> tuple[Any, int]:
        i = _WS.match(self.text, i).end()  # type: ignore[union-attr]
        ch = self.text[i]
        if ch == "{":
            return self.obj(i + 1)
        if ch == "[":
            out: list[Any] = []
            i = _WS.match(self.text, i + 1).end()  # type: ignore[union-attr]
            if self.text[i] == "]":
                return out, i + 1
            while True:
                item, i = self.value(i)
                out.append(item)
                i = _WS.match(self.text, i).end()  # type: ignore[union-attr]
                if self.text[i] == "]":
                    return out, i + 1
                i += 1  # ","
        if ch == '"':
            return scanstring(self.text, i + 1, True)
        match = _SCALAR.match(self.text, i)
        if match is None:
            raise ValueError(f"unexpected {ch!r} at offset {i}")
        return None, match.end()

    def obj(self, i: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        i = _WS.match(self.text, i).end()  # type: ignore[union-attr]
        if self.text[i] == "}":
            return out, i + 1
        while True:
            i = _WS.match(self.text, i).end()  # type: ignore[union-attr]
            key, i = scanstring(self.text, i + 1, True)
            i = _WS.match(self.text, i).end() + 1  # type: ignore[union-attr]  # ":"
            if key in _SOURCE_KEYS:
                located, i = self.strings(i)
                if located is not None:
                    self.sources[id(out)] = located
                out[key] = [s.text for s in located] if located is not None else None
            else:
                out[key], i = self.value(i)
            i = _WS.match(self.text, i).end()  # type: ignore[union-attr]
            if self.text[i] == "}":
                return out, i + 1
            i += 1  # ","

    def strings(self, i: int) -> tuple[list[_Located] | None, int]:
        """A source value: one string or a list of strings, with their offsets (None if neither)."""
        i = _WS.match(self.text, i).end()  # type: ignore[union-attr]
        if self.text[i] == '"':
            text, end = scanstring(self.text, i + 1, True)
            return [_Located(text, i + 1)], end
        if self.text[i] != "[":
            _, end = self.value(i)
            return None, end
        located: list[_Located] = []
        i = _WS.match(self.text, i + 1).end()  # type: ignore[union-attr]
        while self.text[i] != "]":
            if self.text[i] == '"':
                start = i + 1
                text, i = scanstring(self.text, start, True)
                located.append(_Located(text, start))
            else:
                _, i = self.value(i)
            i = _WS.match(self.text, i).end()  # type: ignore[union-attr]
            if self.text[i] == ",":
                i = _WS.match(self.text, i + 1).end()  # type: ignore[union-attr]
        return located, i + 1


class _Lines:
    """Offsets in the JSON text to (1-based line, 0-based column)."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        index = bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index]


def _cell_lines(located: list[_Located], lines: _Lines) -> list[Line]:
    """A cell's source as lines, each placed where its text starts in the JSON file."""
    out: list[Line] = []
    for item in located:
        host_line, col = lines.at(item.offset)
        pieces = item.text.split("\n")
        if len(pieces) > 1 and pieces[-1] == "":
            pieces.pop()
        # Later pieces of one string (a `source` written as one string) stay on that string's line.
        out.extend((piece, host_line, col) for piece in pieces)
    return out


def _cells(notebook: Any) -> list[Any]:
    if not isinstance(notebook, dict):
        return []
    cells = notebook.get("cells")
    if isinstance(cells, list):
        return cells
    worksheets = notebook.get("worksheets")  # nbformat 3
    if isinstance(worksheets, list):
        return [c for w in worksheets if isinstance(w, dict) for c in (w.get("cells") or [])]
    return []


def _kernel_language(notebook: Any) -> str:
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    if not isinstance(metadata, dict):
        return ""
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        section = metadata.get(key)
        if isinstance(section, dict) and isinstance(section.get(field), str):
            return section[field].lower()
    return ""


def _python_facts(cells: list[tuple[int, list[Line]]], path: str) -> FileFacts:
    """All cells as one module (a kernel's shared namespace); cell by cell if the whole does not parse."""
    joined = [line for _, cell in cells for line in cell]
    if not joined:
        return FileFacts(path, "notebook")
    facts = extract_snippet(snippet_from_lines("python", joined, "notebook"), path, "code")
    if not facts.errors:
        return facts
    facts = FileFacts(path, "notebook")
    for number, cell in cells:
        facts.extend(extract_snippet(snippet_from_lines("python", cell, f"cell {number}"), path, "code"))
    return facts


@bounded
def extract_notebook(text: str, path: str) -> FileFacts:
    """Facts from a notebook's code cells (context "code") and markdown cells' fences (context "docs")."""
    facts = FileFacts(path, "notebook")
    if not might_hold_facts(text.replace("\\/", "/")):
        return facts
    try:
        notebook = json.loads(text)
        locator = _SourceLocator(text)
        located_root, _ = locator.value(0)
    except RecursionError:
        facts.errors.append(ParseError(path, "notebook JSON nested too deeply to read"))
        return facts
    except (ValueError, IndexError) as exc:  # json.JSONDecodeError is a ValueError
        facts.errors.append(
            ParseError(
                path, f"notebook is not valid JSON: {getattr(exc, 'msg', exc)}", getattr(exc, "lineno", None)
            )
        )
        return facts
    del notebook  # validated; the located copy has the same structure
    lines = _Lines(text)
    language = _kernel_language(located_root)
    python_cells: list[tuple[int, list[Line]]] = []
    others: list[Snippet] = []
    for number, cell in enumerate(_cells(located_root), start=1):
        if not isinstance(cell, dict) or id(cell) not in locator.sources:
            continue
        cell_lines = _cell_lines(locator.sources[id(cell)], lines)
        kind = cell.get("cell_type")
        if kind == "markdown":
            from vlint.extract.markdown import block_facts, markdown_blocks

            for block in markdown_blocks(cell_lines):
                facts.extend(block_facts(block, path))
        elif kind == "code" and language in ("", "python", "python3", "ipython", "ipython3"):
            python, shell = ipython_cell(cell_lines, f"cell {number}")
            python_cells.append((number, python))
            others.extend(shell)
    facts.extend(_python_facts(python_cells, path))
    for snippet in others:
        facts.extend(extract_snippet(snippet, path, "code"))
    return drop_env(facts)
