"""JSON: `{"findings": [...], "errors": [...]}` (the JSON contract in the README), plus counts.

Non-ASCII text stays readable (`ensure_ascii=False`); `escape.safe_json` then writes the characters that
could act on a terminal or a CI log as `\\u` escapes, which decode to the same strings.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from vlint.report.escape import safe_json

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
    return safe_json(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n"
