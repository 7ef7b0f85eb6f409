"""Template expressions (`{{ }}`, `${{ }}`, `{% %}`, `${VAR}`...) found in linear time.

A lazy regex `\\{\\{.*?\\}\\}` rescans the rest of the text from every `{{` that has no `}}` after it: a
40 KB word of `{{` took 16 s and a megabyte of them in a YAML file minutes. Here each opener asks for the
first closer after it, and those answers are cached per closer (queries only move forward), so a text costs
one pass per kind of closer whatever it holds. The spans are the ones `re.sub`/`re.finditer` with the
lazy pattern would give: left to right, non-overlapping, the first closer after the opener, the openers
tried in the order given at each position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

Pair = tuple[str, str]  # (opener, closer)


class _NextCloser:
    """The first occurrence of `needle` at or after a position, for positions that never go back."""

    def __init__(self, text: str, needle: str) -> None:
        self.text, self.needle = text, needle
        self.asked, self.found = -1, -1

    def at_or_after(self, start: int) -> int:
        if not (self.asked >= 0 and self.asked <= start and (self.found < 0 or self.found >= start)):
            self.asked, self.found = start, self.text.find(self.needle, start)
        return self.found


class TemplateScanner:
    """Spans of `opener ... closer` in one text; positions asked must not go back."""

    def __init__(self, text: str, pairs: Sequence[Pair], max_inner: int | None = None) -> None:
        self.text, self.pairs, self.max_inner = text, pairs, max_inner
        self.closers = {close: _NextCloser(text, close) for _, close in pairs}
        self.openers = _openers(tuple(open_ for open_, _ in pairs))

    def end_at(self, i: int) -> int | None:
        """The end of the span that starts at `i`, or None when no pair opens and closes there."""
        for open_, close in self.pairs:
            if not self.text.startswith(open_, i):
                continue
            inner = i + len(open_)
            end = self.closers[close].at_or_after(inner)
            if end >= 0 and (self.max_inner is None or end - inner <= self.max_inner):
                return end + len(close)
        return None

    def spans(self) -> Iterator[tuple[int, int]]:
        """Every span, left to right."""
        i = 0
        while (match := self.openers.search(self.text, i)) is not None:
            start = match.start()
            end = self.end_at(start)
            if end is None:
                i = start + 1
                continue
            yield start, end
            i = end


@lru_cache(maxsize=16)
def _openers(openers: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(open_) for open_ in openers))


def has_template(text: str, pairs: Sequence[Pair]) -> bool:
    """Whether some opener of `pairs` has its closer after it (what a lazy-pattern `re.search` answers)."""
    if not any(open_ in text for open_, _ in pairs):
        return False
    return next(TemplateScanner(text, pairs).spans(), None) is not None
