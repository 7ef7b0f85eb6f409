"""Renderers: one per output format. They read findings and errors only, and escape scanned text
(`report.escape`): the scanned tree is untrusted, its strings reach terminals and CI logs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vlint.api import Result

FORMATS: dict[str, str] = {
    "text": "vlint.report.text:render",
    "json": "vlint.report.jsonout:render",
    "sarif": "vlint.report.sarif:render",
    "github": "vlint.report.github:render",
}


def render(result: Result, fmt: str, *, show_suppressed: bool = False) -> str:
    """`show_suppressed` lists suppressed findings after the summary (text only: the machine formats
    always carry them)."""
    module_name, func = FORMATS[fmt].split(":")
    renderer = getattr(importlib.import_module(module_name), func)
    return renderer(result, show_suppressed=show_suppressed) if fmt == "text" else renderer(result)
