"""One bound on variable expansion for every format: the scanned tree is untrusted, and expansion multiplies.

`A=$A$A` doubles a value per line: 26 such lines of shell (214 bytes) would build a 4.9 GB string, and
Dockerfile `ENV`, `.env` chains, workflow `${{ env.X }}` and `eval "$CMD"` multiply the same way. Every
extractor that builds text from variables charges it here, against one budget per host file:

- a single value longer than `MAX_VALUE_CHARS` once expanded is not built: it is unknown, with a note;
- a file may build `MAX_FILE_CHARS` characters of expanded text in all (a value only copied counts too:
  each copy is kept in the facts and written to the cache on its own); past that, every further
  expansion is unknown.

The first refusal becomes one error entry of the file (`ExpansionBudget.error`), and the rest of the file
is read as usual. The budget is per host file, shared by the snippets inside it (a Markdown page's bash
blocks, a Dockerfile's `RUN`s, a workflow's scripts), or a page of ten thousand bombs would get ten
thousand budgets. Those snippets are reached through the extractor registry with fixed signatures, so
the file's budget travels in a context variable: `expansion_scope` sets it for the outermost extractor
call and resets it when that call returns, so nothing outlives the call (a host process sees no change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Concatenate, ParamSpec

from vlint.facts import FileFacts, Location, ParseError

MAX_VALUE_CHARS = 100_000
MAX_FILE_CHARS = 2_000_000  # as much text as a file may hold at the default max-file-size


@dataclass
class ExpansionBudget:
    """What one host file may still build from variables, and the first time it could not."""

    left: int = MAX_FILE_CHARS
    refused: str | None = None  # the note of the first refusal, for the file's error entry
    refused_at: Location | None = None

    def refusal(self, size: int, what: str, where: Location | None) -> str | None:
        """None when `size` more characters may be built for `what`; else the note for the unknown value."""
        if size <= MAX_VALUE_CHARS and size <= self.left:
            self.left -= size
            return None
        if size > MAX_VALUE_CHARS:
            note = f"{what} would expand to {size:,} characters (over {MAX_VALUE_CHARS:,}): not expanded"
        else:
            note = f"{what} not expanded: the file already expanded {MAX_FILE_CHARS:,} characters of variables"
        if self.refused is None:
            self.refused, self.refused_at = note, where
        return note

    def error(self, path: str) -> ParseError | None:
        """The file's error entry for the first refusal (None when nothing was refused)."""
        if self.refused is None:
            return None
        where = self.refused_at
        line = where.line if where is not None and where.path == path else None
        return ParseError(path, f"expansion limit: {self.refused}; values past it are unknown "
                                "(the rest of the file was read)", line)


_current: ContextVar[ExpansionBudget | None] = ContextVar("vlint_expansion_budget", default=None)


def current_budget() -> ExpansionBudget:
    """The budget of the file being extracted (a fresh one for a call outside any extractor)."""
    return _current.get() or ExpansionBudget()


@contextmanager
def expansion_scope() -> Iterator[ExpansionBudget | None]:
    """Open a budget unless one is already open; yields the new budget, or None when joining the host's."""
    if _current.get() is not None:
        yield None
        return
    budget = ExpansionBudget()
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


P = ParamSpec("P")


def bounded(extract: Callable[Concatenate[str, str, P], FileFacts]) -> Callable[Concatenate[str, str, P], FileFacts]:
    """An extractor `(text, path, ...) -> FileFacts` run inside `expansion_scope`; the outermost call
    reports a refusal as an error entry of its file."""

    @wraps(extract)
    def run(text: str, path: str, /, *args: P.args, **kwargs: P.kwargs) -> FileFacts:
        with expansion_scope() as budget:
            facts = extract(text, path, *args, **kwargs)
        error = budget.error(path) if budget is not None else None
        if error is not None:
            facts.errors.append(error)
        return facts

    return run
