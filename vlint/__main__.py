"""`python -m vlint ...` runs the program (handy where the console script is not on PATH)."""

from __future__ import annotations

from vlint.program import run

run()
