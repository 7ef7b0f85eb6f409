"""`python -m vlint ...` runs the CLI (handy where the console script is not on PATH)."""

from __future__ import annotations

from vlint.cli import run

run()
