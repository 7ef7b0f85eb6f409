"""VL003 base-model-served (opt-in): a launch serves a base model and nothing in the project shows how it
is called. Quiet when another rule already speaks for the launch (a chat proxy, a low default
temperature)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from vlint.checks.meta import RuleMeta

if TYPE_CHECKING:
    from vlint.checks.context import CheckContext
    from vlint.findings import Finding

RULE = RuleMeta("VL003", "base-model-served", "info",
                "A base model is served and nothing in the project shows how it is called (opt-in).", enabled=False)


def check(ctx: CheckContext) -> Iterator[Finding]:
    for use in ctx.base_serves:
        serve = use.served.serve
        if use.served.linked_requests or serve.forwards_chat or ctx.low_serve_temperature(serve) is not None:
            continue
        message = (f"base model `{use.model}` is served ({serve.launcher}); nothing in the project shows "
                   f"how it is called. If clients use chat completions, they will get echoes. Fix: {use.fix}.")
        yield ctx.finding(RULE, use, message, less_sure=True)
