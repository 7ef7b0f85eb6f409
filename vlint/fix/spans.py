"""Exact-span edits for every format but Python: YAML, shell, Dockerfiles, compose, Markdown, JSON, `.env`.

An edit replaces the model's own characters and nothing else, and only where the file holds exactly the
name the facts report, written plainly (bare, or right after an opening quote that closes after it) and
ending at a word boundary. Anything else there (`$MODEL`, `{{ .Values.model }}`, a name built from parts)
means the value is computed or templated: no edit.
"""

from __future__ import annotations

from vlint.findings import Edit

# What may follow a plainly written name: the end of the line, blanks, a closing quote or bracket, a comment,
# a separator, a shell operator or a line continuation.
_BOUNDARY = frozenset(" \t\r\n\"'`,;)]}#\\|&<>")
_QUOTES = ("\"", "'")


def locate(line_text: str, column: int, name: str) -> tuple[int, int] | None:
    """The 0-based [start, end) of `name` written plainly at 1-based `column` of `line_text`, or None.

    `column` counts code points; extractors that count bytes (tree-sitter's positions) are allowed for
    too, so a non-ASCII character earlier on the line does not hide the name."""
    for start in _starts(line_text, column):
        if line_text[start:start + 1] in _QUOTES:
            quote = line_text[start]
            inner = start + 1
            if line_text.startswith(name, inner) and line_text[inner + len(name):inner + len(name) + 1] == quote:
                return inner, inner + len(name)
        if line_text.startswith(name, start):
            end = start + len(name)
            if end == len(line_text) or line_text[end] in _BOUNDARY:
                return start, end
    return None


def _starts(line_text: str, column: int) -> list[int]:
    starts = [column - 1] if 0 <= column - 1 <= len(line_text) else []
    if not line_text.isascii():
        encoded = line_text.encode("utf-8", "surrogatepass")
        prefix = encoded[:column - 1].decode("utf-8", "ignore")
        if len(prefix) not in starts:
            starts.append(len(prefix))
    return starts


def span_edit(text: str, path: str, line: int, column: int, name: str, new: str) -> Edit | None:
    """The edit that writes `new` over `name` at line:column of `text`, or None when it is not written there."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    found = locate(lines[line - 1], column, name)
    if found is None:
        return None
    start, end = found
    return Edit(path, line, start + 1, line, end + 1, name, new)


def splice(text: str, edits: list[Edit]) -> str:
    """`text` with single-line `edits` applied; each must still find its `old` text where it says."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        start, end = edit.column - 1, edit.end_column - 1
        row = lines[edit.line - 1] if 1 <= edit.line <= len(lines) else ""
        if edit.end_line != edit.line or locate(row.rstrip("\r\n"), edit.column, edit.old) != (start, end):
            raise ValueError(f"{edit.path}: the file changed since it was scanned")
        lines[edit.line - 1] = row[:start] + edit.new + row[end:]
    return "".join(lines)
