"""Templated YAML read per branch, for documents whose structure depends on their `if`/`else` blocks.

Masking keeps every branch of a `{{- if }} … {{- else }} … {{- end }}`; when the branches are alternatives
that do not fit together (two `args:` at different indentations, an `if` around a key written at another
level) the masked document does not load, though each rendering of it does. Then the document is read
once per *choice of branches*, the lines of the branches not chosen left empty (line numbers stay true):
the first branch of every conditional, the last, then each conditional switched on its own. A
`{{- define }}` (or Jinja `macro`) body prints nothing where it stands, so it is left out of every choice
and read as a fragment of its own.

Only directives on lines of their own shape the YAML; a conditional with a directive inside a line of
content is not switched. Unbalanced directives: no choices at all (the document stays unreadable).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from vlint.extract.templates import TemplateScanner
from vlint.extract.yaml.masking import MAX_EXPRESSION, TEMPLATE_PAIRS

MAX_CHOICES = 12  # documents composed per unreadable document, the fragments of definitions apart

_DIRECTIVE_RE = re.compile(r"\{([{%])-?\s*(else\s+if|elif|else|end\w*|if|range|with|for|define|macro|block)\b")
_OPENERS = {"if", "range", "with", "for", "define", "macro", "block"}
_SILENT_BODIES = {"define", "macro"}


@dataclass
class _Scope:
    keyword: str
    lines: list[int]  # the line of each directive: opener, each else, the end
    own_lines: bool = True  # every directive stands on a line of its own
    children: list[_Scope] = field(default_factory=list)

    def branches(self) -> list[range]:
        return [range(a + 1, b) for a, b in zip(self.lines, self.lines[1:], strict=False)]


def _scopes(text: str) -> list[_Scope] | None:
    """The directive tree of a text (top-level scopes), or None when its directives do not balance."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    roots: list[_Scope] = []
    stack: list[_Scope] = []
    row = 0
    for start, end in TemplateScanner(text, TEMPLATE_PAIRS, MAX_EXPRESSION).spans():
        match = _DIRECTIVE_RE.match(text, start)
        if match is None or text.startswith("${{", start):
            continue
        while row + 1 < len(starts) and starts[row + 1] <= start:
            row += 1
        alone = _alone(text, start, end, starts, row)
        keyword = match.group(2).split()[0]
        if keyword.startswith("end") and keyword != "end" and keyword[3:] not in _OPENERS:
            continue  # a Jinja `endset`/`endraw` closes a tag this reading does not open
        if keyword in _OPENERS:
            scope = _Scope(keyword, [row], alone)
            (stack[-1].children if stack else roots).append(scope)
            stack.append(scope)
        elif keyword in ("else", "elif"):
            if not stack:
                return None
            stack[-1].lines.append(row)
            stack[-1].own_lines &= alone
        elif keyword.startswith("end"):
            if not stack:
                return None
            scope = stack.pop()
            scope.lines.append(row)
            scope.own_lines &= alone
    return roots if not stack else None


def _alone(text: str, start: int, end: int, starts: list[int], row: int) -> bool:
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    return end <= line_end and not text[starts[row]:start].strip() and not text[end:line_end].strip()


@dataclass(frozen=True)
class Choice:
    """One way to read a document: the lines to leave empty, and what the reading is (for tests and notes)."""

    label: str
    empty: frozenset[int]


def choices(text: str) -> Iterator[Choice]:
    """Ways to read a templated document whose masked text does not load: the definitions' bodies apart, the
    first branch of every conditional, the last, then each conditional switched alone (`MAX_CHOICES`)."""
    roots = _scopes(text)
    if not roots:
        return
    silent = frozenset(row for scope in _walk(roots) if scope.keyword in _SILENT_BODIES
                       for row in range(scope.lines[0], scope.lines[-1] + 1))
    switchable = [s for s in _walk(roots, skip=_SILENT_BODIES) if s.own_lines and s.keyword not in ("block",)]
    first = _unchosen(switchable, {})
    last = _unchosen(switchable, {id(s): -1 for s in switchable})
    seen: set[frozenset[int]] = set()
    candidates = [Choice("definitions apart", silent), Choice("first branches", silent | first),
                  Choice("last branches", silent | last)]
    for scope in switchable:
        candidates.append(Choice(f"line {scope.lines[0] + 1} switched",
                                 silent | _unchosen(switchable, {id(scope): -1})))
    for choice in candidates:
        if choice.empty and choice.empty not in seen and len(seen) < MAX_CHOICES:
            seen.add(choice.empty)
            yield choice


def fragments(text: str) -> Iterator[Choice]:
    """The body of each definition (`define`, `macro`) as a document of its own: everything else empty."""
    roots = _scopes(text) or []
    rows = text.count("\n") + 1
    for scope in _walk(roots):
        if scope.keyword in _SILENT_BODIES and scope.own_lines:
            body = set(range(scope.lines[0] + 1, scope.lines[-1]))
            yield Choice(f"definition at line {scope.lines[0] + 1}", frozenset(set(range(rows)) - body))


def _walk(scopes: list[_Scope], skip: set[str] | frozenset[str] = frozenset()) -> Iterator[_Scope]:
    for scope in scopes:
        if scope.keyword in skip:
            continue
        yield scope
        yield from _walk(scope.children, skip)


def _unchosen(scopes: list[_Scope], picks: dict[int, int]) -> frozenset[int]:
    """The lines of the branches not picked (the first branch unless `picks` says otherwise; an `if` with no
    `else` has an empty branch after its body, so picking the last leaves the body out)."""
    empty: set[int] = set()
    for scope in scopes:
        branches = scope.branches()
        if scope.keyword in ("if", "range", "with", "for") and len(branches) == 1:
            branches.append(range(0))
        pick = picks.get(id(scope), 0) % len(branches)
        for index, branch in enumerate(branches):
            if index != pick:
                empty.update(branch)
    return frozenset(empty)


def emptied(text: str, rows: frozenset[int]) -> str:
    """The text with the given lines left empty (line numbers unchanged)."""
    lines = text.split("\n")
    for row in rows:
        if row < len(lines):
            lines[row] = ""
    return "\n".join(lines)
