"""Renderers: one per output format. They read findings and errors only, and escape scanned text
(`report.escape`): the scanned tree is untrusted, its strings reach terminals and CI logs.

`text` is the human format in its default style, `full` (as ruff's default): header lines, a source frame
and the evidence. `concise` is one line per finding. The machine formats always carry everything.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vlint.api import Result
    from vlint.report.text import TextOptions

FORMATS: dict[str, str] = {
    "text": "vlint.report.text:render",
    "full": "vlint.report.text:render",
    "concise": "vlint.report.text:render",
    "json": "vlint.report.jsonout:render",
    "sarif": "vlint.report.sarif:render",
    "github": "vlint.report.github:render",
}
HUMAN_FORMATS = ("text", "full", "concise")


def render(result: Result, fmt: str, text_options: TextOptions | None = None) -> str:
    """`text_options` shape the human formats (colour, suppressed findings, statistics, quiet)."""
    module_name, func = FORMATS[fmt].split(":")
    renderer = getattr(importlib.import_module(module_name), func)
    if fmt not in HUMAN_FORMATS:
        return renderer(result)
    from vlint.report.text import TextOptions

    options = text_options or TextOptions()
    return renderer(result, replace(options, style="concise" if fmt == "concise" else "full"))
