"""VL100 unused-suppression: a `vlint: ignore` comment that suppresses nothing, or names an unknown rule
(as ruff's RUF100). Runs after suppressions are applied, over the comments themselves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from vlint.checks.meta import RuleMeta

if TYPE_CHECKING:
    from vlint.checks.context import CheckContext
    from vlint.findings import Finding

RULE = RuleMeta("VL100", "unused-suppression", "warning",
                "A `vlint: ignore` comment suppresses nothing, or names an unknown rule.", stage="suppressions")


def check(ctx: CheckContext) -> Iterator[Finding]:
    for s in ctx.suppressions.unused():
        if s.unknown:
            message = f"suppression names unknown rule{'s' if len(s.unknown) > 1 else ''}: {', '.join(s.unknown)}"
        else:
            what = ", ".join(s.codes) if s.codes else "any rule"
            message = f"unused suppression: nothing here is reported for {what}; remove the comment"
        yield ctx.finding_at(RULE, s.path, s.line, s.column, message)
