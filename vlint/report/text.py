"""The human formats, shaped like ruff's.

- concise: one line per finding, `path:line:col: VL001 [*] message` (`[*]`: `--fix` can fix it).
- full (the default, as in ruff): the same header lines, then a source frame with carets under the call,
  the model and the temperature; findings on one call share the frame and one evidence block.
- both end with one pointer per rule that fired (`vlint explain VL001`) and a summary line: findings, files
  with findings, files scanned, fixable. `-q` leaves those out; `--statistics` counts findings per rule.

Scanned text (paths, models, aliases, evidence, reasons, source lines) goes through `escape.printable`, and
a path that starts a line through `escape.line_head`, so nothing the scanned tree wrote can move the
cursor, reorder a line, or start a workflow command in a CI log. Colour is added after escaping.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING

from vlint.report.escape import line_head, printable
from vlint.report.frame import Mark, SourceLines, source_frame
from vlint.report.style import SEVERITY_COLOURS, Style

if TYPE_CHECKING:
    from vlint.api import Result
    from vlint.findings import Finding

STYLES = ("full", "concise")


@dataclass(frozen=True)
class TextOptions:
    style: str = "full"
    colour: bool = False
    show_suppressed: bool = False
    statistics: bool = False
    quiet: bool = False           # findings only: no pointers, no summary
    sources: SourceLines = field(default_factory=SourceLines)


def render(result: Result, options: TextOptions | None = None) -> str:
    options = options or TextOptions()
    paint = Style(options.colour)
    lines: list[str] = []
    if options.statistics:
        lines.extend(_statistics(result.findings, paint))
    elif options.style == "concise":
        lines.extend(_header(f, paint) for f in result.findings)
    else:
        for _, same_call in groupby(result.findings, key=lambda f: (f.path, f.line, f.column)):
            lines.extend(_full_block(list(same_call), options.sources, paint))
    for e in result.errors:
        where = f"{line_head(e.path)}:{e.line}" if e.line else line_head(e.path)
        lines.append(f"{paint(where, 'bold')}: {paint('error', 'bold', 'red')}: {printable(e.reason)}")
    if not options.quiet:
        lines.extend(_trailer(result, paint))
    if options.show_suppressed and result.suppressed:
        lines.append("Suppressed:")
        lines.extend(_suppressed_line(f) for f in result.suppressed)
    return "\n".join(lines) + ("\n" if lines else "")


def _header(f: Finding, paint: Style) -> str:
    mark = f" {paint('[*]', 'cyan')}" if f.fixable else ""
    return (f"{paint(line_head(f.path), 'bold')}:{f.line}:{f.column}: {paint.severity(f.rule, f.severity)}{mark} "
            f"{printable(f.message)}")


def _full_block(findings: list[Finding], sources: SourceLines, paint: Style) -> list[str]:
    """Header lines, the frame, then what the findings on this call share, said once."""
    first = findings[0]
    out = [_header(f, paint) for f in findings]
    codes = ", ".join(dict.fromkeys(f.rule for f in findings))
    worst = max(findings, key=lambda f: ("info", "warning", "error").index(f.severity)).severity
    marks = [Mark(first.line, first.column, codes, SEVERITY_COLOURS[worst])]
    for f in findings:
        marks.extend(Mark(r.line, r.column, r.label, "cyan") for r in f.related
                     if r.path == first.path and (r.line, r.column, r.label) not in {(m.line, m.column, m.label)
                                                                                      for m in marks})
    out.extend(source_frame(sources.lines(first.path), marks, paint))
    note = paint("=", "blue")
    levels = ", ".join(f"{f.rule} {f.severity}" for f in findings)
    confidences = set(f.confidence for f in findings)
    confidence = first.confidence if len(confidences) == 1 else ", ".join(f"{f.rule} {f.confidence}" for f in findings)
    out.append(f"  {note} {levels}; confidence {confidence}")
    evidence = list(dict.fromkeys(item for f in findings for item in f.evidence))
    if evidence:
        out.append(f"  {note} evidence:")
        out.extend(f"      - {printable(item)}" for item in evidence)
    for fix in dict.fromkeys(f.autofix for f in findings if f.autofix is not None):
        marker = paint("[*]", "cyan") if fix.applicable else "[ ]"
        out.append(f"  {note} fix {marker} {printable(fix.describe())}")
    for f in findings:
        if f.verify:
            out.extend(_verify_lines(f))
    out.append("")
    return out


def _verify_lines(f: Finding) -> list[str]:
    verify = f.verify or {}
    rate = verify.get("echo_rate")
    control = verify.get("control_echo_rate")
    rates = "" if rate is None else f" (echo rate {rate:.0%}, control {control:.0%})" if control is not None \
        else f" (echo rate {rate:.0%})"
    reason = f": {printable(verify['reason'])}" if verify.get("reason") else ""
    lines = [f"  = verify {f.rule}: {verify.get('verdict')}{rates}{reason}"]
    for sample in (verify.get("samples") or [])[:2]:
        lines.append(f"      sample: {printable(repr(sample))}")
    return lines


def _statistics(findings: list[Finding], paint: Style) -> list[str]:
    """One line per rule, most frequent first, as ruff's `--statistics`: count, code, fixable, name."""
    counts = Counter(f.rule for f in findings)
    names = {f.rule: f.name for f in findings}
    fixable = {f.rule for f in findings if f.fixable}
    width = len(str(max(counts.values(), default=0)))
    return [f"{count:>{width}}  {paint(code, 'bold')}  {'[*]' if code in fixable else '[ ]'} {names[code]}"
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _trailer(result: Result, paint: Style) -> list[str]:
    out = []
    rules = dict.fromkeys((f.rule, f.name) for f in result.findings)
    if rules:
        out.append("Rules: " + ", ".join(f"`vlint explain {code}` ({name})" for code, name in rules))
    out.append(paint(_summary(result), "bold"))
    if any(f.fixable for f in result.findings):
        out.append(f"Run `vlint scan --fix` to fix the findings marked {paint('[*]', 'cyan')} (`--diff` to preview).")
    return out


def _summary(result: Result) -> str:
    n = len(result.findings)
    files = len({f.path for f in result.findings})
    scanned = result.files_scanned
    fixable = sum(f.fixable for f in result.findings)
    summary = f"Found {n} finding{'s' if n != 1 else ''}"
    if fixable:
        summary += f" ({fixable} fixable)"
    if result.linked_to_project and n:  # findings of the project that touch the given files may lie in others
        summary += (f" in {files} file{'s' if files != 1 else ''} ({scanned} file{'s' if scanned != 1 else ''} "
                    f"scanned, linked to the whole project)")
    else:
        files_part = f"{files} of {scanned}" if n else f"{scanned}"
        summary += f" in {files_part} file{'s' if scanned != 1 else ''} scanned"
    held = []
    if result.suppressed:
        held.append(f"{len(result.suppressed)} suppressed")
    if result.baselined:
        held.append(f"{result.baselined} in baseline")
    if held:
        summary += f" ({', '.join(held)})"
    if result.errors:
        summary += f"; {len(result.errors)} file{'s' if len(result.errors) != 1 else ''} could not be read"
    return summary + "."


def _suppressed_line(f: Finding) -> str:
    return f"  {line_head(f.path)}:{f.line}:{f.column}: {f.rule} [{f.name}] ({printable(f.suppressed or '')})"
