"""Baselines for adopting vlint in a legacy repository.

A finding is keyed on its path, rule, model and the normalised text of its source line (not the line
number), so edits above it do not invalidate the baseline. Identical keys are counted, so a second copy of
the same bad line added later is still reported as new.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from vlint.config import ConfigError
from vlint.findings import Finding

VERSION = 1


def source_line(path: str, line: int) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for number, text in enumerate(fh, start=1):
                if number == line:
                    return text
    except OSError:
        pass
    return ""


def normalise(text: str) -> str:
    return " ".join(text.split())


def finding_key(finding: Finding) -> str:
    """The stable identity of a finding: also used as the SARIF partial fingerprint."""
    text = normalise(source_line(finding.path, finding.line))
    material = "\0".join((finding.path, finding.rule, finding.model, text))
    # surrogateescape: a file name that is not UTF-8 hashes as its own bytes instead of failing the report.
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def write_baseline(findings: Iterable[Finding], path: Path) -> int:
    keys = Counter(finding_key(f) for f in findings)
    entries = [{"key": key, "count": count} for key, count in sorted(keys.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": VERSION, "tool": "vlint", "findings": entries}, indent=2) + "\n",
                    encoding="utf-8")
    return sum(keys.values())


def filter_new(findings: list[Finding], path: Path) -> tuple[list[Finding], int]:
    """(findings not covered by the baseline, how many were covered)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        budget = Counter({entry["key"]: int(entry["count"]) for entry in data["findings"]})
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: baseline file not found") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a vlint baseline ({exc})") from exc
    new, covered = [], 0
    for finding in findings:
        key = finding_key(finding)
        if budget[key] > 0:
            budget[key] -= 1
            covered += 1
        else:
            new.append(finding)
    return new, covered
