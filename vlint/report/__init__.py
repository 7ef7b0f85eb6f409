"""Renderers: one per output format. They read findings and errors only."""

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


def render(result: Result, fmt: str) -> str:
    module_name, func = FORMATS[fmt].split(":")
    return getattr(importlib.import_module(module_name), func)(result)
