"""VL001 base-model-chat: a base model is queried through a chat API, or sits behind a proxy that serves
chat to callers the project does not show."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from vlint.checks.meta import RuleMeta

if TYPE_CHECKING:
    from vlint.checks.context import CheckContext
    from vlint.findings import Finding

RULE = RuleMeta("VL001", "base-model-chat", "error", "A base (pretrained-only) model is queried through a chat API.")


def check(ctx: CheckContext) -> Iterator[Finding]:
    for use in ctx.base_requests:
        request = use.linked.request
        if not request.is_chat:
            continue
        message = (f"base model `{use.model}` is queried through a chat API ({request.client}); a pretrained-only "
                   f"model tends to echo the prompt instead of answering. Fix: {use.fix}.")
        if use.template:  # a chat template set on purpose: still reported, but as a warning
            message += f" A chat template is set explicitly ({use.template}): if that is deliberate, suppress it."
        yield ctx.finding(RULE, use, message, severity="warning" if use.template else None)
    for use in ctx.base_serves:
        serve = use.served.serve
        if serve.forwards_chat and use.served.linked_requests == 0:
            message = (f"base model `{use.model}` sits behind a {serve.launcher} proxy that serves chat "
                       f"completions; a pretrained-only model tends to echo the prompt. Fix: {use.fix}.")
            yield ctx.finding(RULE, use, message, severity="warning" if use.template else None, less_sure=True)
