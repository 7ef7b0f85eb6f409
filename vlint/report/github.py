"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding.

Data and properties are %-escaped as the runner expects (a newline in scanned text cannot end the
command); the other unsafe characters of scanned text become visible escapes (`escape.printable`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vlint.report.escape import printable

if TYPE_CHECKING:
    from vlint.api import Result

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: Result) -> str:
    lines = []
    for f in result.findings:
        title = _escape_property(f"{f.rule} {f.name}")
        lines.append(f"::{COMMANDS[f.severity]} file={_escape_property(f.path)},line={f.line},col={f.column},"
                     f"title={title}::{_escape_data(f.message)}")
    for e in result.errors:
        line = f",line={e.line}" if e.line else ""
        lines.append(f"::warning file={_escape_property(e.path)}{line},title=vlint could not read this file::"
                     f"{_escape_data(e.reason)}")
    return "\n".join(lines) + ("\n" if lines else "")
