"""`vlint probe`'s reports: text, JSON (the endpoints, their models and probes) and SARIF (with a project).

What a server returns is untrusted, as a scanned tree is: model ids, roots, outputs and error messages
can hold terminal escapes, bidirectional overrides or CI workflow commands. They go through the scan's
own escaping (vlint/report/escape.py): text output shows every such character as a visible escape and
no line starts with served text (each starts with a fixed word or a bullet); JSON and SARIF escape them
as `\\uXXXX`. Every report is finally passed through the API key's mask, so a server that quotes the
key back cannot make vlint print it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from vlint.facts import ParseError
from vlint.probe.chat import ProbeResult, clip
from vlint.probe.run import ModelReport, ProbeRun
from vlint.report.escape import line_head, printable, safe_json

FORMATS = ("text", "json", "sarif")
SHOWN_SAMPLES = 2
SHOWN_CHARS = 100


def _quoted(text: str) -> str:
    return '"' + printable(clip(text, SHOWN_CHARS)) + '"'


# ---------------------------------------------------------------------------------------------------- JSON


def _model_dict(report: ModelReport) -> dict[str, Any]:
    m = report.model
    out: dict[str, Any] = {
        "id": m.id,
        "root": m.root,
        "kind": m.kind,
        "confidence": m.confidence,
        "evidence": list(m.evidence),
        "probe": report.probe.as_dict() if report.probe else None,
        "instead": m.sibling,
        "parent": m.parent,
        "max_model_len": m.max_model_len,
        "owned_by": m.owned_by,
    }
    if len(report.probes) > 1:
        out["probes"] = [report.probes[t].as_dict() for t in sorted(report.probes)]
    if report.uses:
        out["used_by"] = sorted({f"{u.finding.path}:{u.finding.line}:{u.finding.column}" for u in report.uses})
    return out


def render_json(run: ProbeRun) -> str:
    payload: dict[str, Any] = {
        "endpoints": [
            {
                "url": e.url,
                "error": e.error,
                "models": [_model_dict(m) for m in e.models],
                "notes": list(e.notes),
                "requests": e.requests_sent,
            }
            for e in run.endpoints
        ],
    }
    if run.project is not None:
        payload["findings"] = [f.as_dict() for f in run.findings]
    payload["exit_code"] = run.exit_code
    return safe_json(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n"


# ---------------------------------------------------------------------------------------------------- SARIF


def render_sarif(run: ProbeRun) -> str:
    """The project's findings on requests that reach a probed model, with the probe in `properties.verify`;
    endpoint errors become tool notifications."""
    from vlint.report import render

    if run.scan is None:
        raise ValueError("SARIF output needs --project (its results point at the project's files)")
    errors = list(run.scan.errors) + [ParseError(e.url, f"probe: {e.error}") for e in run.endpoints if e.error]
    result = replace(run.scan, findings=list(run.findings), errors=errors)
    return render(result, "sarif")  # the renderer escapes what served text may hold


# ---------------------------------------------------------------------------------------------------- text


def _probe_lines(probe: ProbeResult) -> list[str]:
    lines = [f"      chat probe at temperature {probe.temperature:g}: {probe.verdict}: {printable(probe.reason)}"]
    shown = {}
    for output in probe.chat:
        shown.setdefault(output.reference, output)
    for output in list(shown.values())[:SHOWN_SAMPLES]:
        lines.append(f"        chat:    {_quoted(output.reference)} -> {_quoted(output.output)}")
    for output in probe.control[:1]:
        lines.append(f"        control: {_quoted(output.reference)} -> {_quoted(output.output)}")
    return lines


def _model_lines(report: ModelReport, chat_probe: bool) -> list[str]:
    m = report.model
    where = f" from root `{printable(m.root)}`" if m.root else " (no root listed)"
    instead = f"; use instead: {printable(m.sibling)}" if m.sibling else ""
    lines = [f"  - `{printable(m.id)}`{where}: {m.kind} (confidence {m.confidence}){instead}"]
    lines += [f"      why: {printable(item)}" for item in m.evidence]
    for temperature in sorted(report.probes):
        lines += _probe_lines(report.probes[temperature])
    if not report.probes:
        why = "a chat model" if not m.probed_by_default else "--no-chat-probe" if not chat_probe else \
            "the endpoint failed first"
        lines.append(f"      chat probe: not run ({why})")
    sites = {(u.finding.path, u.finding.line, u.finding.column): u.finding for u in report.uses}
    for (path, line, column), f in list(sites.items())[:5]:
        lines.append(f"      used by {printable(path)}:{line}:{column} ({f.api}, temperature {f.temperature})")
    return lines


def _finding_lines(run: ProbeRun) -> list[str]:
    if run.project is None:
        return []
    lines = [f"Project {printable(str(run.project))}: {len(run.findings)} finding(s) on requests that reach "
             "these models"]
    for f in run.findings:
        lines.append(f"{line_head(f.path)}:{f.line}:{f.column}: {f.rule} [{f.name}] {printable(f.message)}")
        if f.verify:
            lines.append(f"    probe: {f.verify.get('verdict')}: {printable(str(f.verify.get('reason')))}")
        lines += [f"    - {printable(item)}" for item in f.evidence]
    return lines


def _summary(run: ProbeRun) -> str:
    models = [m for e in run.endpoints for m in e.models]
    failing = [m for m in models if m.fails]
    errors = [e for e in run.endpoints if e.error]
    parts = [f"{len(models)} model(s) served on {len(run.endpoints) - len(errors)} endpoint(s)"]
    parts.append(f"{len(failing)} base (or echoing) model(s) reachable by chat")
    confirmed = sum(1 for m in models for p in m.probes.values() if p.verdict == "confirmed")
    if confirmed:
        parts.append(f"{confirmed} chat probe(s) confirmed an echo")
    if errors:
        parts.append(f"{len(errors)} endpoint(s) could not be probed")
    return "Summary: " + "; ".join(parts) + f" (exit {run.exit_code})."


def render_text(run: ProbeRun) -> str:
    lines: list[str] = []
    for e in run.endpoints:
        if e.error:
            lines.append(f"endpoint {printable(e.url)}: error: {printable(e.error)}")
            continue
        lines.append(f"endpoint {printable(e.url)}: {len(e.models)} model(s), {e.requests_sent} request(s) sent")
        lines += [f"  note: {printable(n)}" for n in e.notes]
        for model in e.models:
            lines += _model_lines(model, run.chat_probe)
    lines += _finding_lines(run)
    lines.append(_summary(run))
    return "\n".join(lines) + "\n"


def error_lines(run: ProbeRun) -> list[str]:
    """One line per endpoint that failed, for standard error."""
    return [run.mask(f"vlint: probe {printable(e.url)}: {printable(e.error)}") for e in run.endpoints if e.error]


def render(run: ProbeRun, fmt: str) -> str:
    """The report in `fmt`, with the API key masked wherever a server may have put it."""
    text = {"json": render_json, "sarif": render_sarif}.get(fmt, render_text)(run)
    return run.mask(text)
