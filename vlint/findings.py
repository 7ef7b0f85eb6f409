"""What the rules (`vlint.checks`) emit and every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["info", "warning", "error"]
Confidence = Literal["low", "medium", "high"]

SEVERITY_ORDER: dict[str, int] = {"info": 0, "warning": 1, "error": 2}
CONFIDENCE_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


@dataclass
class Finding:
    rule: str
    name: str
    severity: Severity
    confidence: Confidence
    path: str
    line: int
    column: int
    message: str
    model: str
    model_kind: str
    evidence: list[str] = field(default_factory=list)
    api: str | None = None
    temperature: float | None = None
    messages: tuple[tuple[str, str], ...] | None = None
    prompt: str | None = None
    chat_template: str | None = None
    fix: str | None = None
    context: str = "code"
    suppressed: str | None = None
    verify: dict[str, Any] | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity,
            "confidence": self.confidence,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "model": self.model,
            "model_kind": self.model_kind,
            "evidence": list(self.evidence),
            "api": self.api,
            "temperature": self.temperature,
            "context": self.context,
        }
        if self.fix:
            out["fix"] = self.fix
        if self.suppressed is not None:
            out["suppressed"] = self.suppressed
        if self.verify is not None:
            out["verify"] = self.verify
        return out
