"""Colour for the human formats: on a terminal, off when piped, `--color auto|always|never`, `NO_COLOR`.

Colour codes are added around text that is already escaped (`escape.printable`), so the only escape
sequences in the output are these.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TextIO

_CODES = {
    "bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36",
}
SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}


def use_colour(choice: str, stream: TextIO | None) -> bool:
    """`always` and `never` say it; `auto` colours a terminal unless `NO_COLOR` is set (no-color.org)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass(frozen=True)
class Style:
    colour: bool = False

    def __call__(self, text: str, *names: str) -> str:
        if not self.colour or not text or not names:
            return text
        codes = ";".join(_CODES[n] for n in names)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def severity(self, text: str, severity: str) -> str:
        return self(text, "bold", SEVERITY_COLOURS.get(severity, "bold"))
