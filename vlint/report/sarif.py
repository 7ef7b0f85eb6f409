"""SARIF 2.1.0 for GitHub code scanning and other consumers.

Rule metadata and help come from the rule documents; every result carries a partial fingerprint built
from path, rule, model and the normalised source line (the same key as the baseline), so GitHub keeps
tracking a finding when unrelated lines are added above it. Suppressed findings are included with an
in-source suppression, as the spec intends; parse errors become tool execution notifications.

Artifact URIs are percent-encoded (RFC 3986) from the path's bytes, so any file name, even one that is not
UTF-8, gives a valid URI and the report is always written.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from vlint import __version__
from vlint.baseline import finding_key
from vlint.checks.registry import RULES_BY_CODE
from vlint.report.escape import safe_json
from vlint.ruledocs import load_doc

if TYPE_CHECKING:
    from vlint.api import Result
    from vlint.findings import Autofix, Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/vlint/vlint"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _rule_descriptor(code: str) -> dict[str, Any]:
    meta = RULES_BY_CODE[code]
    doc = load_doc(code)
    return {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": meta.summary},
        "helpUri": f"{INFO_URI}/blob/main/rules/docs/{meta.code}.md",
        "help": {"text": doc.text, "markdown": doc.text},
        "defaultConfiguration": {"level": LEVELS[meta.severity], "enabled": meta.enabled},
        "properties": {"tags": ["vllm", "llm", "correctness"]},
    }


def artifact_uri(path: str) -> str:
    """A relative URI reference for a `/`-separated display path. `os.fsencode` turns surrogate-escaped
    characters back into the file name's own bytes; every byte but the unreserved ones and `/` is
    percent-encoded (`:` too, so a first segment such as `c:x.py` never reads as a scheme)."""
    return quote(os.fsencode(path), safe="/")


def _location(path: str, region: dict[str, int] | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(path), "uriBaseId": "%SRCROOT%"}}
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": LEVELS[finding.severity],
        "message": {"text": f"{finding.message} (see {INFO_URI}/blob/main/rules/docs/{finding.rule}.md)"},
        "locations": [_location(finding.path, {"startLine": max(finding.line, 1),
                                                 "startColumn": max(finding.column, 1)})],
        "partialFingerprints": {"vlintFindingHash/v1": finding_key(finding)},
        "properties": {
            "confidence": finding.confidence,
            "model": finding.model,
            "modelKind": finding.model_kind,
            "evidence": list(finding.evidence),
            "context": finding.context,
        },
    }
    if finding.related:
        out["relatedLocations"] = [{**_location(r.path, {"startLine": max(r.line, 1), "startColumn": max(r.column, 1)}),
                                    "id": i, "message": {"text": r.label}}
                                   for i, r in enumerate(finding.related, start=1)]
    if finding.autofix is not None and finding.autofix.applicable:
        out["fixes"] = [_fix(finding.autofix)]
    if finding.confidence == "high":
        out["rank"] = 90.0
    if finding.verify:
        out["properties"]["verify"] = finding.verify
        if finding.verify.get("verdict") == "confirmed":
            out["rank"] = 100.0
    if finding.suppressed is not None:
        out["suppressions"] = [{"kind": "inSource", "justification": finding.suppressed}]
    return out


def _fix(fix: Autofix) -> dict[str, Any]:
    """A SARIF fix: one artifact change per file, one replacement per edit (regions end exclusive)."""
    by_path: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        by_path.setdefault(edit.path, []).append({
            "deletedRegion": {"startLine": edit.line, "startColumn": edit.column, "endLine": edit.end_line,
                              "endColumn": edit.end_column},
            "insertedContent": {"text": edit.new},
        })
    return {
        "description": {"text": fix.describe()},
        "artifactChanges": [{"artifactLocation": {"uri": artifact_uri(path), "uriBaseId": "%SRCROOT%"},
                             "replacements": replacements} for path, replacements in by_path.items()],
    }


def render(result: Result) -> str:
    all_findings = list(result.findings) + list(result.suppressed)
    codes = sorted({f.rule for f in all_findings} | {"VL001", "VL002"})
    index = {code: i for i, code in enumerate(codes)}
    notifications = [{
        "level": "warning",
        "message": {"text": e.reason},
        "locations": [_location(e.path, {"startLine": e.line} if e.line and e.line > 0 else None)],
    } for e in result.errors]
    run = {
        "tool": {"driver": {
            "name": "vlint",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFO_URI,
            "rules": [_rule_descriptor(code) for code in codes],
        }},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The directory vlint was run from."}}},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": [_result(f, index) for f in all_findings],
        "columnKind": "unicodeCodePoints",
    }
    return safe_json(json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2,
                                ensure_ascii=False)) + "\n"
