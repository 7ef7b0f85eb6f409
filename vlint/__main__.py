"""`python -m vlint ...` runs the CLI (handy where the console script is not on PATH)."""

from __future__ import annotations

import sys

from vlint.cli import main

sys.exit(main())
