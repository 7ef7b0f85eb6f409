"""Shell that tree-sitter-bash cannot parse but bash can: known grammar gaps repaired, the rest read by statement.

tree-sitter-bash (0.23-0.25) rejects some valid bash, and its error recovery can swallow everything from the
error to the end of the file (a whole function, every launch after it). Two levers, both keeping every byte
offset, so positions stay true and words are still read from the original text:

* `repair_known_gaps` rewrites, in the bytes the parser sees, the gaps met in real repositories into what
  bash makes of them (each has a test in tests/test_shell_recovery.py):
  - a backtick comment in a continued command (`--port 8000 \\`# the port\\` \\`): it expands to nothing,
    so it becomes spaces;
  - empty backticks (`echo\\`\\``): also nothing;
  - a `;` inside a `${…}` expansion (`${list:+${list};}`): a word character there (the expansion's text is
    still read from the original);
  - a continuation backslash on the last line (`--flag \\` then the end of the file): a space;
  - a here-document started on a line that ends with `&` (`curl … -d @- <<EOF &`): the `&` (running in the
    background changes nothing vlint reads) becomes a space.
* `statements` re-parses an error region piece by piece: from each line, the shortest run of lines that
  parses cleanly is one statement (a whole `if`/function/here-document when it is well formed); a line
  that starts no such run is lost. What is lost is reported only when it could hold a launch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_PIECE_LINES = 200  # one statement re-parsed from an error region is at most this long
MAX_REPARSE_BYTES = 4_000_000  # bytes re-parsed per file while recovering (then the rest is lost) ...
REPARSE_PER_BYTE = 32  # ... and at most this many times the script's own size, plus a floor
REPARSE_FLOOR = 64 * 1024


def reparse_budget(size: int) -> list[int]:
    """The bytes a script of `size` bytes may re-parse while recovering (a one-element list, spent)."""
    return [min(MAX_REPARSE_BYTES, REPARSE_FLOOR + REPARSE_PER_BYTE * size)]

_BACKTICK_COMMENT_RE = re.compile(rb"`[ \t]*#[^`\n]*`")
_EMPTY_BACKTICKS_RE = re.compile(rb"``(?!`)")
_EXPANSION_RE = re.compile(rb"\$\{")
_SEMICOLON_IN_EXPANSION_RE = re.compile(rb"\$\{[^\n;]*;[^\n]*\}")
_TRAILING_CONTINUATION_RE = re.compile(rb"\\(\n?[ \t]*)\Z")
_HEREDOC_IN_BACKGROUND_RE = re.compile(rb"(<<-?[ \t]*['\"]?[A-Za-z_][A-Za-z0-9_]*['\"]?[^\n]*?)(?<![&>|])&([ \t]*)$",
                                       re.MULTILINE)


def repair_known_gaps(shadow: bytes) -> bytes:
    """The parser's view of a script with the known gaps rewritten (same length; see the module docstring)."""
    if b"`" in shadow:
        shadow = _BACKTICK_COMMENT_RE.sub(lambda m: b" " * len(m.group(0)), shadow)
        shadow = _EMPTY_BACKTICKS_RE.sub(_empty_backticks, shadow)
    if b"${" in shadow and _SEMICOLON_IN_EXPANSION_RE.search(shadow):
        shadow = _semicolons_in_expansions(shadow)
    if b"<<" in shadow:
        shadow = _HEREDOC_IN_BACKGROUND_RE.sub(lambda m: m.group(1) + b" " + m.group(2), shadow)
    return _TRAILING_CONTINUATION_RE.sub(lambda m: b" " + m.group(1), shadow)


def _empty_backticks(match: re.Match[bytes]) -> bytes:
    """Empty backticks (not escaped, not part of a longer run) are spaces."""
    before = match.string[match.start() - 1:match.start()]
    return match.group(0) if before in (b"\\", b"`") else b"  "


def _semicolons_in_expansions(src: bytes) -> bytes:
    """`;` inside `${…}` (nested braces counted, on one line, not in single quotes) becomes `_` for the
    parser: inside an expansion it separates nothing."""
    out: bytearray | None = None
    for match in _EXPANSION_RE.finditer(src):
        line_start = src.rfind(b"\n", 0, match.start()) + 1
        if src.count(b"'", line_start, match.start()) % 2:
            continue  # inside '…': not an expansion
        depth, i = 1, match.end()
        while i < len(src) and depth:
            ch = src[i]
            if ch == 0x0A:  # newline: an expansion in the scripts this repairs stays on its line
                break
            if ch == 0x5C:  # backslash: the next byte is literal
                i += 2
                continue
            if src.startswith(b"${", i):
                depth, i = depth + 1, i + 2
                continue
            if ch == 0x7D:
                depth -= 1
            elif ch == 0x3B:
                out = out if out is not None else bytearray(src)
                out[i] = 0x5F
            i += 1
    return bytes(out) if out is not None else src


@dataclass
class Recovery:
    """Statements re-parsed from the error regions of a script, and the lines no statement could take."""

    pieces: list[tuple[int, bytes, Any]] = field(default_factory=list)  # (first row, shadow bytes, tree)
    lost: list[int] = field(default_factory=list)


def error_rows(root: Any) -> list[tuple[int, int]]:
    """The rows (first, last) of each top-level statement that holds a syntax error, merged when they touch."""
    if root.type != "program":  # the whole text is one error: the parser found no program in it
        return [(0, root.end_point[0])]
    regions: list[tuple[int, int]] = []
    for child in root.children:
        if not (child.type == "ERROR" or child.has_error):
            continue
        first, last = child.start_point[0], child.end_point[0]
        if last > first and child.end_point[1] == 0:
            last -= 1
        if regions and first <= regions[-1][1] + 1:
            regions[-1] = (regions[-1][0], max(regions[-1][1], last))
        else:
            regions.append((first, last))
    return regions


def statements(lines: list[bytes], first: int, last: int, parse: Callable[[bytes], Any],
               budget: list[int]) -> Recovery:
    """Re-parse rows `first..last` as statements: from each row, the shortest clean run of rows (module
    docstring). `budget` holds the bytes still allowed to be re-parsed for this file, and is spent."""
    found = Recovery()
    row = first
    while row <= last:
        stripped = lines[row].strip()
        if not stripped or stripped.startswith(b"#"):
            row += 1
            continue
        piece = _shortest_clean_run(lines, row, last, parse, budget)
        if piece is None:
            found.lost.append(row)
            row += 1
            if budget[0] <= 0:
                found.lost.extend(r for r in range(row, last + 1) if lines[r].strip())
                break
            continue
        end, shadow, tree = piece
        found.pieces.append((row, shadow, tree))
        row = end + 1
    return found


def _shortest_clean_run(lines: list[bytes], row: int, last: int, parse: Callable[[bytes], Any],
                        budget: list[int]) -> tuple[int, bytes, Any] | None:
    for end in range(row, min(last, row + MAX_PIECE_LINES - 1) + 1):
        if end < last and lines[end].rstrip().endswith(b"\\"):
            continue  # a continued line cannot end a statement
        shadow = b"\n".join(lines[row:end + 1])
        budget[0] -= len(shadow)
        if budget[0] < 0:
            return None
        tree = parse(shadow)
        if not tree.root_node.has_error:
            return end, shadow, tree
        if _last_error_row(tree.root_node) < end - row:
            return None  # the error closes before the last line: more lines cannot mend it
    return None


def _last_error_row(root: Any) -> int:
    """The last row an error of the tree reaches (an unfinished statement's error reaches the end)."""
    last = -1
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            last = max(last, node.end_point[0] - (1 if node.end_point[1] == 0 and node.end_point[0] > 0 else 0))
        elif node.has_error:
            stack.extend(node.children)
    return last
