"""JSON: `{"findings": [...], "errors": [...]}` as DESIGN.md specifies, plus counts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vlint.api import Result


def render(result: Result) -> str:
    payload = {
        "findings": [f.as_dict() for f in result.findings],
        "errors": [e.as_dict() for e in result.errors],
        "suppressed": [f.as_dict() for f in result.suppressed],
        "summary": {
            "files_scanned": result.files_scanned,
            "findings": len(result.findings),
            "suppressed": len(result.suppressed),
            "baselined": result.baselined,
            "errors": len(result.errors),
        },
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
