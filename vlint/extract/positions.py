"""Position maps: keep reported lines true when one format is embedded in another.

Shell inside a YAML block scalar, a Dockerfile `RUN`, a Markdown fence or a Python list is extracted as
its own snippet; the map turns a (line, column) inside the snippet back into the host file's position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vlint.facts import Location


@dataclass(frozen=True)
class PositionMap:
    """For snippet line i (0-based): the host file's 1-based line and the 0-based column it starts at."""

    lines: tuple[tuple[int, int], ...]

    @classmethod
    def identity(cls, n_lines: int = 0) -> PositionMap:
        return cls(tuple((i + 1, 0) for i in range(n_lines)))

    @classmethod
    def block(cls, first_line: int, column: int, n_lines: int) -> PositionMap:
        """A snippet whose lines sit on consecutive host lines, all indented by `column`."""
        return cls(tuple((first_line + i, column) for i in range(max(n_lines, 1))))

    @classmethod
    def from_lines(cls, host_lines: Sequence[tuple[int, int]]) -> PositionMap:
        return cls(tuple(host_lines))

    @classmethod
    def single(cls, line: int, column: int) -> PositionMap:
        """A snippet folded from one host position (a quoted YAML scalar): everything maps near it."""
        return cls(((line, column),))

    def locate(self, path: str, line: int, column: int = 1) -> Location:
        """Map a 1-based snippet position to the host file."""
        if not self.lines:
            return Location(path, line, column)
        index = min(max(line - 1, 0), len(self.lines) - 1)
        host_line, offset = self.lines[index]
        if line - 1 >= len(self.lines):
            # Past the mapped lines (a folded scalar): keep the last known host line.
            return Location(path, host_line, offset + 1)
        return Location(path, host_line, offset + column)

    def shifted(self, snippet_line_offset: int) -> PositionMap:
        """The map for a sub-snippet starting `snippet_line_offset` lines into this one."""
        return PositionMap(self.lines[snippet_line_offset:] or self.lines[-1:])

    def compose(self, inner: PositionMap) -> PositionMap:
        """Map an inner snippet (positions relative to this snippet) straight to the host file."""
        out = []
        for snippet_line, col in inner.lines:
            loc = self.locate("", snippet_line, col + 1)
            out.append((loc.line, loc.column - 1))
        return PositionMap(tuple(out))


@dataclass(frozen=True)
class Token:
    """One argv word with where it came from (a YAML list item, a shell word, a Python string)."""

    text: str
    location: Location
    quoted: bool = False
