"""The human format: `path:line:col: VL001 [base-model-chat] message`, then the evidence.

Scanned text (paths, models, aliases, evidence, reasons, samples) goes through `escape.printable`, and a
path that starts a line through `escape.line_head`, so nothing the scanned tree wrote can move the cursor,
reorder a line, or start a workflow command in a CI log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vlint.report.escape import line_head, printable

if TYPE_CHECKING:
    from vlint.api import Result
    from vlint.findings import Finding


def render(result: Result, *, show_suppressed: bool = False) -> str:
    lines: list[str] = []
    for f in result.findings:
        lines.append(f"{line_head(f.path)}:{f.line}:{f.column}: {f.rule} [{f.name}] {printable(f.message)}")
        lines.append(f"    severity: {f.severity}, confidence: {f.confidence}; see `vlint explain {f.rule}`")
        for item in f.evidence:
            lines.append(f"    - {printable(item)}")
        if f.verify:
            lines.extend(_verify_lines(f.verify))
    for e in result.errors:
        where = f"{line_head(e.path)}:{e.line}" if e.line else line_head(e.path)
        lines.append(f"{where}: error: {printable(e.reason)}")
    lines.append(_summary(result))
    if show_suppressed and result.suppressed:
        lines.append("Suppressed:")
        lines.extend(_suppressed_line(f) for f in result.suppressed)
    return "\n".join(lines) + "\n"


def _verify_lines(verify: dict) -> list[str]:
    rate = verify.get("echo_rate")
    control = verify.get("control_echo_rate")
    rates = "" if rate is None else f" (echo rate {rate:.0%}, control {control:.0%})" if control is not None \
        else f" (echo rate {rate:.0%})"
    reason = f": {printable(verify['reason'])}" if verify.get("reason") else ""
    lines = [f"    verify: {verify.get('verdict')}{rates}{reason}"]
    for sample in (verify.get("samples") or [])[:2]:
        lines.append(f"      sample: {printable(repr(sample))}")
    return lines


def _suppressed_line(f: Finding) -> str:
    return f"  {line_head(f.path)}:{f.line}:{f.column}: {f.rule} [{f.name}] ({printable(f.suppressed or '')})"


def _summary(result: Result) -> str:
    summary = f"Found {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}"
    if result.suppressed:
        summary += f" ({len(result.suppressed)} suppressed)"
    if result.baselined:
        summary += f" ({result.baselined} in baseline)"
    summary += f" in {result.files_scanned} file{'s' if result.files_scanned != 1 else ''}"
    if result.errors:
        summary += f"; {len(result.errors)} file{'s' if len(result.errors) != 1 else ''} could not be read"
    return summary + "."
