"""The fix stage: swap a base model for its known chat sibling where the model is named.

- `siblings.py`: which model replaces which (`rules/siblings.yaml`, or the Hub with `--online`).
- `sites.py`: where a finding's model is written, from the linked facts (an alias used by a client points
  at its launch, never at the client).
- `plan.py`: which places change together (everywhere or nowhere) and whether they may; gives each
  finding its `Autofix`. Reads files, writes nothing.
- `pyliteral.py` (a libcst codemod for Python literals) and `spans.py` (exact spans for everything else).
- `edits.py`: planned edits to new file texts, and writing them; `diff.py`: the unified diff of `--diff`.
"""

from __future__ import annotations

from vlint.fix.diff import unified_diff
from vlint.fix.edits import FilePatch, build_patches, write_patches
from vlint.fix.plan import plan_fixes

__all__ = ["FilePatch", "build_patches", "plan_fixes", "unified_diff", "write_patches"]
