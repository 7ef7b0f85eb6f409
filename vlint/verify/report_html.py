"""`--verify-report FILE`: one self-contained HTML page a person can read and attach to a ticket.

Why HTML next to JSON/SARIF: the evidence is the model's actual outputs, and people judge those best
side by side (the finding's request shape vs the control). No scripts, no external assets: the page
opens from a CI artifact offline. Every value from the scan or the model is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from vlint.findings import Finding

SAMPLES_SHOWN = 6

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;max-width:72rem;color:#1b1f23}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f6f8fa}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:.85rem}
.verdict{font-weight:bold;padding:.1rem .4rem;border-radius:.3rem}
.confirmed{background:#ffebe9;color:#cf222e}.degenerate{background:#fff8c5;color:#9a6700}
.not-reproduced{background:#dafbe1;color:#1a7f37}.skipped{background:#eaeef2;color:#57606a}
.echo{color:#cf222e}.empty,.degenerate-cat{color:#9a6700}
"""


def _rate(value: Any) -> str:
    return "–" if value is None else f"{float(value):.0%}"


def _verdict_badge(verdict: str) -> str:
    return f'<span class="verdict {escape(verdict)}">{escape(verdict)}</span>'


def _output_cell(sample: Mapping[str, Any] | None) -> str:
    if sample is None:
        return "<td></td>"
    category = str(sample.get("category", ""))
    css = "degenerate-cat" if category == "degenerate" else category
    text = str(sample.get("output", ""))
    shown = escape(text) if text.strip() else escape(repr(text))
    return (
        f'<td><pre>{shown}</pre><small class="{escape(css)}">{escape(category)}, '
        f"echo {float(sample.get('echo_score', 0.0)):.2f}</small></td>"
    )


def _samples_table(verify: Mapping[str, Any]) -> str:
    finding = list(verify.get("samples") or [])
    control = list(verify.get("control_samples") or [])
    if not finding:
        return ""
    # One row per prompt (its first sample), so the finding and control outputs for it line up.
    control_by_prompt: dict[str, Mapping[str, Any]] = {}
    for sample in control:
        control_by_prompt.setdefault(str(sample.get("prompt")), sample)
    rows, seen = [], set()
    for sample in finding:
        prompt = str(sample.get("prompt"))
        if prompt in seen:
            continue
        seen.add(prompt)
        rows.append(
            f"<tr><td><pre>{escape(prompt)}</pre></td>{_output_cell(sample)}"
            f"{_output_cell(control_by_prompt.get(prompt))}</tr>"
        )
        if len(rows) >= SAMPLES_SHOWN:
            break
    return (
        "<table><tr><th>prompt (user message)</th><th>finding's request shape</th>"
        "<th>control: continuation prompt, completion at 0.8</th></tr>" + "".join(rows) + "</table>"
    )


def _finding_section(finding: Finding) -> str:
    verify = finding.verify or {}
    verdict = str(verify.get("verdict", "skipped"))
    facts = [
        (
            "model",
            finding.model
            + (f" (loaded from {verify['model_source']})" if verify.get("model_source") else ""),
        ),
        (
            "request",
            f"{verify.get('api') or finding.api or '?'} at temperature "
            f"{verify.get('temperature', finding.temperature)}",
        ),
        ("echo rate", f"{_rate(verify.get('echo_rate'))} (control {_rate(verify.get('control_echo_rate'))})"),
        ("empty / repetitive", f"{_rate(verify.get('empty_rate'))} / {_rate(verify.get('degenerate_rate'))}"),
        ("why", str(verify.get("reason", ""))),
    ]
    if verify.get("instruct_model"):
        facts.append(
            (
                "instruct sibling",
                f"{verify['instruct_model']}: echo {_rate(verify.get('instruct_echo_rate'))}",
            )
        )
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
    return (
        f"<h2>{escape(finding.rule)} {escape(finding.name)} — {escape(finding.path)}:{finding.line} "
        f"{_verdict_badge(verdict)}</h2><p>{escape(finding.message)}</p>"
        f"<table>{rows}</table>{_samples_table(verify)}"
    )


def render_html(findings: Iterable[Finding]) -> str:
    replayed = [f for f in findings if f.verify is not None]
    counts: dict[str, int] = {}
    for f in replayed:
        verdict = str((f.verify or {}).get("verdict", "skipped"))
        counts[verdict] = counts.get(verdict, 0) + 1
    summary = ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "no findings were replayed"
    body = "".join(_finding_section(f) for f in replayed)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>vlint --verify report</title>"
        f"<style>{_STYLE}</style></head><body><h1>vlint --verify report</h1>"
        f"<p>{escape(summary)}. An echo means the output restates the prompt instead of answering it; "
        "the control sends the same text as a continuation-style completion at temperature 0.8.</p>"
        f"{body}</body></html>\n"
    )


def write_html_report(findings: list[Finding], path: Path) -> None:
    Path(path).write_text(render_html(findings), encoding="utf-8")
