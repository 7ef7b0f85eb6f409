"""Inline suppressions: `vlint: ignore[VL001] reason` in any format's comment syntax.

A comment at the end of a line covers that line; a comment alone on its line covers the next line that
is not blank or another comment (and, in Markdown, the whole code block that follows); `ignore-file`
covers the file. A finding is covered on its own line and on the lines of the same file it names (where
its model is written, where its temperature is set: the line the message points at). Rules are named by
code, name, or a prefix of either. Suppressed findings are kept and counted, and a suppression that covers nothing, or
names an unknown rule, is reported as VL100 unused-suppression (like ruff's RUF100).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vlint.checks.registry import resolve_rule_refs
from vlint.findings import Finding

_PATTERN = re.compile(
    r"(?:#|//|<!--|;|--|\{#|REM\b|^\s*\.\.)\s*vlint:\s*(?P<kind>ignore-file|ignore|disable-file|disable)\b"
    r"(?:\[(?P<codes>[^\]]*)\])?(?P<reason>[^\n]*?)(?:-->|#\})?(?:\\n)?(?:\",?)?\s*$",
    re.IGNORECASE,
)
_RST_BLOCK = re.compile(r"^\s*\.\.\s+(?:code-block|code|sourcecode|highlight)::")
_FENCE = re.compile(r"^[\s>]*(```|~~~)")


@dataclass
class Suppression:
    path: str
    line: int            # where the comment is
    column: int
    codes: tuple[str, ...]   # empty: every rule
    reason: str
    whole_file: bool
    covers: frozenset[int]
    used: bool = False
    unknown: tuple[str, ...] = ()

    def matches(self, finding: Finding) -> bool:
        if finding.path != self.path:
            return False
        if not self.whole_file and finding.line not in self.covers \
                and not any(r.path == self.path and r.line in self.covers for r in finding.related):
            return False
        if not self.codes:
            return not self.unknown  # `ignore[VL042]` with only unknown codes silences nothing
        return any(code == "ALL" or finding.rule.startswith(code) for code in self.codes)


@dataclass
class SuppressionIndex:
    by_path: dict[str, list[Suppression]] = field(default_factory=dict)

    def add_file(self, path: str, text: str) -> None:
        if "vlint:" not in text and "VLINT:" not in text.upper():
            return
        lines = text.splitlines()
        for index, raw in enumerate(lines):
            match = _PATTERN.search(raw)
            if match is None:
                continue
            refs = [c.strip() for c in (match.group("codes") or "").split(",") if c.strip()]
            codes: list[str] = []
            unknown: list[str] = []
            for ref in refs:
                resolved = resolve_rule_refs(ref)
                if resolved:
                    codes.extend(resolved)
                else:
                    unknown.append(ref)
            whole = match.group("kind").lower().endswith("-file")
            line_no = index + 1
            before = raw[: match.start()].strip(" \t>")  # `>` quotes a Markdown block
            # A notebook's source line sits in a JSON string: `    "# vlint: ignore[...]\n",`.
            standalone = before in ("", '"') or raw.strip().startswith("<!--")
            covers = {line_no}
            if standalone:
                covers |= _following_lines(lines, index)
            self.by_path.setdefault(path, []).append(Suppression(
                path=path, line=line_no, column=match.start() + 1, codes=tuple(codes),
                reason=match.group("reason").strip(" :-—"), whole_file=whole, covers=frozenset(covers),
                unknown=tuple(unknown),
            ))

    def apply(self, findings: list[Finding]) -> tuple[list[Finding], list[Finding]]:
        """Split findings into (kept, suppressed), marking the suppressions that were used."""
        kept, suppressed = [], []
        for finding in findings:
            hit = next((s for s in self.by_path.get(finding.path, []) if s.matches(finding)), None)
            if hit is None:
                kept.append(finding)
            else:
                hit.used = True
                finding.suppressed = hit.reason or "suppressed inline"
                suppressed.append(finding)
        return kept, suppressed

    def unused(self) -> list[Suppression]:
        return [s for items in self.by_path.values() for s in items if not s.used or s.unknown]


def _following_lines(lines: list[str], index: int) -> set[int]:
    """The line a standalone comment covers: the next meaningful one, or a whole fenced block."""
    covered: set[int] = set()
    j = index + 1
    while j < len(lines) and (not lines[j].strip() or _PATTERN.search(lines[j])):
        j += 1
    if j >= len(lines):
        return covered
    if _FENCE.match(lines[j]):
        fence = _FENCE.match(lines[j]).group(1)  # type: ignore[union-attr]
        k = j + 1
        while k < len(lines) and not lines[k].lstrip(" \t>").startswith(fence):
            covered.add(k + 1)
            k += 1
        covered.add(j + 1)
        return covered
    if _RST_BLOCK.match(lines[j]) or lines[j].rstrip().endswith("::"):
        # reStructuredText: the directive's indented body follows.
        indent = len(lines[j]) - len(lines[j].lstrip())
        covered.add(j + 1)
        k = j + 1
        while k < len(lines) and (not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) > indent):
            covered.add(k + 1)
            k += 1
        return covered
    covered.add(j + 1)
    # A multi-line statement (an open bracket or a trailing backslash) is covered to its end.
    depth = 0
    k = j
    while k < len(lines):
        text = lines[k]
        depth += sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")
        covered.add(k + 1)
        if depth <= 0 and not text.rstrip().endswith("\\"):
            break
        k += 1
        if k - j > 200:
            break
    return covered
