"""Run the registry over a linked project and apply the configuration and the suppressions.

Rules of the "facts" stage judge the project; their findings are de-duplicated, kept only where the
configuration enables the rule for that path, given the configured severity, and split by the inline
suppressions. Rules of the "suppressions" stage (VL100) then judge the comments that suppressed nothing.
"""

from __future__ import annotations

from pathlib import Path

from vlint.checks.context import CheckContext
from vlint.checks.registry import CHECKS
from vlint.config import Config
from vlint.findings import SEVERITY_ORDER, Finding
from vlint.link import Project
from vlint.suppress import SuppressionIndex


def run_checks(project: Project, suppressions: SuppressionIndex, config: Config,
               base_dir: Path | None = None) -> tuple[list[Finding], list[Finding]]:
    """(reported, suppressed) findings, unsorted. `base_dir` is where local model folders are looked up."""
    ctx = CheckContext(config, project, suppressions, base_dir)
    judged = [finding for rule in CHECKS if rule.RULE.stage == "facts" for finding in rule.check(ctx)]
    judged = [_configured_severity(f, config) for f in _dedupe(judged) if config.rule_enabled(f.rule, f.path)]
    reported, suppressed = suppressions.apply(judged)
    reported.extend(_configured_severity(finding, config) for rule in CHECKS if rule.RULE.stage == "suppressions"
                    for finding in rule.check(ctx) if config.rule_enabled(finding.rule, finding.path))
    return reported, suppressed


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per rule, place and model, however many facts at that place led to it."""
    seen: set[tuple[str, str, int, int, str]] = set()
    out = []
    for f in findings:
        key = (f.rule, f.path, f.line, f.column, f.model)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _configured_severity(finding: Finding, config: Config) -> Finding:
    """`severity = {RULE = level}` wins; otherwise findings in documentation are held to `docs-severity`."""
    overrides = dict(config.severity)
    if finding.rule in overrides:
        finding.severity = overrides[finding.rule]  # type: ignore[assignment]
    elif finding.context == "docs" and SEVERITY_ORDER[finding.severity] > SEVERITY_ORDER[config.docs_severity]:
        finding.severity = config.docs_severity  # type: ignore[assignment]
    return finding
