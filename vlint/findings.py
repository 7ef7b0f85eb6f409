"""What the rules (`vlint.checks`) emit, what the fixer (`vlint.fix`) adds, and every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from vlint.facts import ParseError

Severity = Literal["info", "warning", "error"]
Confidence = Literal["low", "medium", "high"]

SEVERITY_ORDER: dict[str, int] = {"info": 0, "warning": 1, "error": 2}
CONFIDENCE_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class Related:
    """Another place a finding is about: where its model is named, where its temperature is set, the launch
    that serves it. Text output frames these lines, SARIF lists them, and a suppression comment on one of
    them (in the finding's file) covers the finding."""

    label: str
    path: str
    line: int
    column: int

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "path": self.path, "line": self.line, "column": self.column}


@dataclass(frozen=True)
class Edit:
    """Replace `old` with `new` in `path` from line:column up to end_line:end_column (1-based, in code
    points, the end exclusive: SARIF's region convention)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    old: str
    new: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column, "end_line": self.end_line,
                "end_column": self.end_column, "deleted": self.old, "inserted": self.new}


@dataclass(frozen=True)
class Autofix:
    """The swap of a base model for its chat sibling in every place the finding's model is named.

    `edits` change all those places together (a model named in several places changes everywhere or
    nowhere); `note` says why nothing can be changed, and is empty when the fix applies. One `Autofix` is
    shared by every finding it settles (VL001 and VL002 on one call, the clients of one launch)."""

    model: str
    replacement: str | None
    source: str
    edits: tuple[Edit, ...] = ()
    note: str = ""
    digests: tuple[tuple[str, str], ...] = ()  # (path, sha256 of the text the edits were planned on)

    @property
    def applicable(self) -> bool:
        return bool(self.edits) and not self.note

    def describe(self) -> str:
        if not self.applicable:
            return f"not fixable: {self.note}"
        places = len(self.edits)
        where = f"{places} place{'s' if places != 1 else ''}"
        return f"replace `{self.model}` with `{self.replacement}` ({where}; {self.source})"

    def as_dict(self) -> dict[str, Any]:
        return {"description": self.describe(), "applicable": self.applicable, "model": self.model,
                "replacement": self.replacement, "source": self.source,
                "edits": [edit.as_dict() for edit in self.edits]}


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
    related: tuple[Related, ...] = ()
    autofix: Autofix | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule)

    @property
    def fixable(self) -> bool:
        return self.autofix is not None and self.autofix.applicable

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
        if self.related:
            out["related"] = [r.as_dict() for r in self.related]
        if self.fix:
            out["fix"] = self.fix
        if self.autofix is not None:
            out["fixes"] = [self.autofix.as_dict()] if self.autofix.applicable else []
            if not self.autofix.applicable:
                out["fix_note"] = self.autofix.note
        if self.suppressed is not None:
            out["suppressed"] = self.suppressed
        if self.verify is not None:
            out["verify"] = self.verify
        return out


@dataclass
class Result:
    """What a scan found: kept and suppressed findings, files that could not be read or parsed."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    files_scanned: int = 0
    linked_to_project: bool = False  # the given files were linked against their whole project (findings may lie outside them)
    baselined: int = 0
    notes: list[str] = field(default_factory=list)

    def exit_code(self, fail_on: str) -> int:
        if fail_on == "never":
            return 0
        threshold = SEVERITY_ORDER[fail_on]
        return 1 if any(SEVERITY_ORDER[f.severity] >= threshold for f in self.findings) else 0
