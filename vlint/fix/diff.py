"""`--diff`: the planned edits as a unified diff, for review (`--fix` applies them).

The diff quotes the scanned files' lines, so each line is escaped like every other output
(`report.escape.printable`), tabs excepted: a line that holds a terminal escape or a bidirectional
control is shown, not obeyed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from vlint.fix.edits import FilePatch
from vlint.report.escape import printable

CONTEXT_LINES = 3


def unified_diff(patches: Iterable[FilePatch]) -> str:
    out: list[str] = []
    for patch in patches:
        before = [_shown(line) for line in patch.before.splitlines()]
        after = [_shown(line) for line in patch.after.splitlines()]
        name = printable(patch.path)
        out.extend(line.rstrip("\n") for line in difflib.unified_diff(
            before, after, fromfile=f"a/{name}", tofile=f"b/{name}", n=CONTEXT_LINES, lineterm=""))
    return "\n".join(out) + ("\n" if out else "")


def _shown(line: str) -> str:
    return "\t".join(printable(part) for part in line.split("\t"))
