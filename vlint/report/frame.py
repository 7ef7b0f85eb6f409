"""Source frames for the full text format: the offending lines of a file with carets under the places a
finding names (the call, the model, the temperature), as ruff and rustc draw them.

The lines are the scanned file's text, so each is escaped (`escape.printable`) before it is shown, and
carets are placed by the width of the escaped text. Tabs show as four spaces; a long line is shown as a
window around its first mark.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vlint.report.escape import printable
from vlint.report.style import Style

MAX_SOURCE_BYTES = 2_000_000  # a frame is not worth reading more than the scan would
WINDOW = 120                  # columns of a long line shown around its first mark
GAP = 2                       # unmarked lines between two marks shown in full; more become `...`
_TOKEN_STOPS = frozenset(" \t\r\n()[]{},;=<>|&`")


@dataclass(frozen=True)
class Mark:
    line: int
    column: int
    label: str
    colour: str


class SourceLines:
    """The lines of scanned files, read once each; `given` holds texts that are not on disk (standard input)."""

    def __init__(self, root: Path | None = None, given: Mapping[str, str] | None = None) -> None:
        self.root = root or Path.cwd()
        self.given = dict(given or {})
        self._read: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._read:
            text = self.given.get(path)
            if text is None:
                text = self._load(self.root / path)
            self._read[path] = text.splitlines() if text is not None else None
        return self._read[path]

    @staticmethod
    def _load(path: Path) -> str | None:
        try:
            if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
                return None
            return path.read_bytes().decode("utf-8-sig", errors="replace")
        except OSError:
            return None


def source_frame(lines: list[str] | None, marks: list[Mark], style: Style) -> list[str]:
    """The frame's output lines (empty when the file or a marked line is not there)."""
    if not lines or not marks or any(not 1 <= m.line <= len(lines) for m in marks):
        return []
    by_line: dict[int, list[Mark]] = {}
    for mark in marks:
        by_line.setdefault(mark.line, []).append(mark)
    numbers = sorted(by_line)
    width = len(str(numbers[-1]))
    bar = style(f"{' ' * width} |", "blue")
    out = [bar]
    previous: int | None = None
    for number in numbers:
        if previous is not None:
            between = range(previous + 1, number)
            if len(between) > GAP:
                out.append(style(f"{'.' * min(width, 3):>{width}} |", "blue"))
            else:
                out.extend(_source_row(n, lines[n - 1], width, 0, style) for n in between)
        start = _window_start(lines[number - 1], by_line[number])
        out.append(_source_row(number, lines[number - 1], width, start, style))
        out.append(_caret_row(lines[number - 1], by_line[number], width, start, style))
        previous = number
    out.append(bar)
    return out


def _window_start(line: str, marks: list[Mark]) -> int:
    if len(line) <= WINDOW:
        return 0
    return max(0, min(m.column for m in marks) - 1 - 20)


def _shown(text: str) -> str:
    return printable(text.replace("\t", "    "))


def _source_row(number: int, line: str, width: int, start: int, style: Style) -> str:
    segment = line[start:start + WINDOW] if len(line) > WINDOW else line
    head = "…" if start else ""
    tail = "…" if len(line) > start + WINDOW else ""
    return f"{style(f'{number:>{width}} |', 'blue')} {head}{_shown(segment)}{tail}".rstrip()


def _caret_row(line: str, marks: list[Mark], width: int, start: int, style: Style) -> str:
    plain_width = 0
    row = ""
    labels = []
    offset = 1 if start else 0  # the `…` of a windowed line
    for mark in sorted(marks, key=lambda m: m.column):
        labels.append(style(mark.label, "bold", mark.colour))
        begin = max(mark.column - 1, start)
        pad = offset + _width(_shown(line[start:begin])) - plain_width
        if pad < 0:  # a second mark inside the first one's token: its carets already cover it
            continue
        carets = "^" * max(1, _width(_shown(_token(line, begin))))
        row += " " * pad + style(carets, "bold", mark.colour)
        plain_width += pad + len(carets)
    return f"{style(' ' * width + ' |', 'blue')} {row} {' · '.join(labels)}".rstrip()


def _token(line: str, begin: int) -> str:
    """What a mark underlines: a quoted string to its closing quote, or the run of characters up to a
    bracket, separator or blank."""
    if begin >= len(line):
        return " "
    quote = line[begin]
    if quote in "\"'":
        end = line.find(quote, begin + 1)
        return line[begin:end + 1] if end > begin else line[begin:]
    end = begin
    while end < len(line) and line[end] not in _TOKEN_STOPS:
        end += 1
    return line[begin:end] or line[begin]


def _width(text: str) -> int:
    """Terminal columns: wide East Asian characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
