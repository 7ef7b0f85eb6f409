"""Python files that CPython will not parse whole: what can still be read of them, with true positions.

Two shapes are common in real repositories:
- a `.py` exported from a notebook keeps IPython syntax (`!pip install ...`, `%time`, `%%capture`, cell
  markers such as `# In[3]:` or `# %%`). When CPython refuses such a file and it shows such lines, they
  are neutralised exactly as the notebook reader neutralises a cell (`embed.ipython_cell`: `pass` in their
  place, one line for one line), and `!cmd` lines are read as shell, as a notebook's are;
- one syntax error somewhere (a merge left half done, a placeholder, Python 2 `print x`) should not hide the
  rest of the file. The statement CPython names is left out, and the parse is tried again: first the
  smallest statement at the error's own indentation (replaced by `pass`, so its block stays a block), then,
  if the error stays inside it, the whole top-level statement around it; a few attempts at most.
Every line keeps its number and every kept line its columns (left-out lines become empty), so positions
stay true; what was left out is said in the file's error entry, next to CPython's first error. A file is
never run or imported here: only CPython's parser reads the text, as `guard.parse_with_cpython` does, and
the gate's other refusals (nesting beyond CPython's or libcst's limits) still apply to what is recovered.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from vlint.extract.python import guard

MAX_ATTEMPTS = 12  # parses after the first: enough for a few broken statements, bounded for a hostile file
MAX_WORK = 4_000_000  # characters parsed in all attempts together (a 1 MB file gets four)

_NEWLINES = re.compile(r"\r\n|\r|\n")
_CELL_MARKER = re.compile(r"^# ?(?:In\[[ \d]*\]:|%%|COMMAND -{3,})")
_IPYTHON_LINE = re.compile(r"^[ \t]*(?:[A-Za-z_][\w.]*[ \t]*=[ \t]*)?(?:!(?!=)|%(?=[A-Za-z%]))")
_CONTINUATIONS = ("else", "elif", "except", "finally")
_CLOSERS = frozenset(")]}")


@dataclass
class Recovered:
    """What can be read of a file CPython refuses: the text CPython parses, its tree, the shell lines of a
    notebook export, and the error entry to report (None when only IPython syntax was neutralised)."""

    text: str
    tree: ast.Module
    error: guard.Refusal | None
    shell: list = field(default_factory=list)  # `embed.Snippet`s of `!cmd` lines and shell cells
    # CPython's first error once IPython lines are neutralised (what `error` reports, without its summary).
    cause: guard.Refusal | None = None
    # Lines whose text moved left (`%time r = f()` read as `r = f()`): line -> columns to add back.
    shifts: dict[int, int] = field(default_factory=dict)


def recover(text: str, refusal: guard.Refusal) -> Recovered | None:
    """The file made parseable by neutralising IPython syntax and leaving out broken statements, or None
    when that does not succeed within the bounds (the caller then reports `refusal` alone)."""
    if not refusal.reason.startswith("Python syntax error"):
        return None  # nested too deeply, or a null byte: not a broken statement
    lines = _NEWLINES.split(text)
    shell: list = []
    shifts: dict[int, int] = {}
    if shows_ipython(lines):
        lines, shell, shifts = _neutralise_ipython(lines)
        tree = guard.parse_with_cpython("\n".join(lines))
        if not isinstance(tree, guard.Refusal):
            return Recovered("\n".join(lines), tree, None, shell, shifts=shifts)
        refusal = tree
    recovered = _leave_out_broken(lines, refusal, shell)
    if recovered is not None:
        recovered.shifts = shifts
    return recovered


def shows_ipython(text: str | list[str]) -> bool:
    """Whether a text (or its lines) has a line of IPython syntax: `!cmd`, `%magic`, `x = !cmd`."""
    return any(_IPYTHON_LINE.match(line) for line in (_NEWLINES.split(text) if isinstance(text, str) else text))


def _neutralise_ipython(lines: list[str]) -> tuple[list[str], list, dict[int, int]]:
    """Each cell (between notebook cell markers; the whole file without them) as the notebook reader
    reads it: magics become `pass`, `!cmd` lines and `%%bash` cells become shell snippets, `%time stmt`
    becomes `stmt` (its shift in columns returned by line)."""
    from vlint.extract.embed import ipython_cell

    out = list(lines)
    shell: list = []
    shifts: dict[int, int] = {}
    starts = [0] + [i for i, line in enumerate(lines) if _CELL_MARKER.match(line)] + [len(lines)]
    for first, end in zip(starts, starts[1:], strict=False):
        if first < end and _CELL_MARKER.match(lines[first]):
            first += 1  # the marker is a comment; a `%%bash` on the line after it starts the cell
        cell = [(lines[i], i + 1, 0) for i in range(first, end)]
        python, others = ipython_cell(cell, f"cell at line {first + 1}")
        kept = {line: text for text, line, _ in python}
        shifts.update((line, column) for _, line, column in python if column)
        for number in range(first + 1, end + 1):
            out[number - 1] = kept.get(number, "")  # a `%%bash` cell's body is shell, not Python
        shell.extend(others)
    return out, shell, shifts


def _leave_out_broken(lines: list[str], refusal: guard.Refusal, shell: list) -> Recovered | None:
    work = list(lines)
    left_out: list[tuple[int, int]] = []
    tried_small: set[int] = set()  # top-level statements where a smaller cut was already tried
    first = refusal
    budget = MAX_WORK
    for _ in range(MAX_ATTEMPTS):
        line = refusal.line
        if line is None or not 1 <= line <= len(work):
            return None
        top = _top_level_span(work, line - 1)
        small = _inner_span(work, line - 1, top)
        if small is not None and top[0] not in tried_small:
            tried_small.add(top[0])
            start, end = small
            _cut(work, start, end, keep_block=True)
        else:
            start, end = top
            _cut(work, start, end, keep_block=False)
        left_out.append((start + 1, end + 1))
        text = "\n".join(work)
        budget -= len(text)
        if budget < 0:
            return None
        tree = guard.parse_with_cpython(text)
        if not isinstance(tree, guard.Refusal):
            spans = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in _merged(left_out))
            reason = f"{first.reason}; the rest of the file was read without lines {spans}"
            return Recovered(text, tree, guard.Refusal(reason, first.line), shell, cause=first)
        if not tree.reason.startswith("Python syntax error"):
            return None
        refusal = tree
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _starts_statement(line: str, indent: int) -> bool:
    """Whether a line at this indentation can begin a statement of its block (not a closing bracket, not an
    `else:`/`except:` that continues the statement above it)."""
    if not _is_code(line) or _indent(line) != indent:
        return False
    stripped = line.lstrip(" \t")
    word = re.match(r"[A-Za-z_]+", stripped)
    return stripped[0] not in _CLOSERS and not (word is not None and word.group() in _CONTINUATIONS)


def _top_level_span(lines: list[str], index: int) -> tuple[int, int]:
    """The lines (0-based, inclusive) of the top-level statement around line `index`, decorators included."""
    start = index
    while start > 0 and not _starts_statement(lines[start], 0):
        start -= 1
    while start > 0 and lines[start - 1].startswith("@"):
        start -= 1
    end = index
    while end + 1 < len(lines) and not _starts_statement(lines[end + 1], 0):
        end += 1
    while end > index and not _is_code(lines[end]):
        end -= 1  # blank lines and comments before the next statement are nobody's
    return start, end


def _inner_span(lines: list[str], index: int, top: tuple[int, int]) -> tuple[int, int] | None:
    """The statement at the error line's own indentation inside a top-level block, when there is one."""
    if not _is_code(lines[index]):
        return None
    indent = _indent(lines[index])
    if indent == 0 or index == top[0]:
        return None
    start = index
    while start > top[0] and not _starts_statement(lines[start], indent):
        if _is_code(lines[start]) and _indent(lines[start]) < indent:
            return None  # the error line continues a statement that starts further out
        start -= 1
    end = index
    while end < top[1]:
        following = lines[end + 1]
        if _is_code(following) and (_indent(following) < indent or _starts_statement(following, indent)):
            break
        end += 1
    return start, end


def _cut(lines: list[str], start: int, end: int, *, keep_block: bool) -> None:
    """Leave lines `start`..`end` out: empty lines, or `pass` on the first one where the statement was
    the first of its block (so the block is still one)."""
    first = lines[start]
    for i in range(start, end + 1):
        lines[i] = ""
    if keep_block:
        lines[start] = first[:_indent(first)] + "pass"


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
