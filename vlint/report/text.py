"""The human format: `path:line:col: VL001 [base-model-chat] message`, then the evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vlint.api import Result

DOCS_URL = "https://github.com/vlint/vlint/blob/main/rules/docs/{code}.md"


def render(result: Result) -> str:
    lines: list[str] = []
    for f in result.findings:
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.rule} [{f.name}] {f.message}")
        lines.append(f"    severity: {f.severity}, confidence: {f.confidence}; see `vlint explain {f.rule}`")
        for item in f.evidence:
            lines.append(f"    - {item}")
        if f.verify:
            v = f.verify
            rate = v.get("echo_rate")
            control = v.get("control_echo_rate")
            rates = "" if rate is None else f" (echo rate {rate:.0%}, control {control:.0%})" if control is not None \
                else f" (echo rate {rate:.0%})"
            lines.append(f"    verify: {v.get('verdict')}{rates}" + (f": {v['reason']}" if v.get("reason") else ""))
            for sample in (v.get("samples") or [])[:2]:
                lines.append(f"      sample: {sample!r}")
    for e in result.errors:
        where = f"{e.path}:{e.line}" if e.line else e.path
        lines.append(f"{where}: error: {e.reason}")
    summary = f"Found {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}"
    if result.suppressed:
        summary += f" ({len(result.suppressed)} suppressed)"
    if result.baselined:
        summary += f" ({result.baselined} in baseline)"
    summary += f" in {result.files_scanned} file{'s' if result.files_scanned != 1 else ''}"
    if result.errors:
        summary += f"; {len(result.errors)} file{'s' if len(result.errors) != 1 else ''} could not be read"
    lines.append(summary + ".")
    return "\n".join(lines) + "\n"
