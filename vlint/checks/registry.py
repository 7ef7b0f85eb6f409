"""The rules vlint runs: an explicit list, one line per rule module, and lookups by code, name and prefix.

A rule module holds its `RULE` metadata (`checks.meta.RuleMeta`) and a `check(ctx)`; at import time it
loads nothing of vlint but `checks.meta`, so this table is cheap to import for configuration, suppressions
and reports (a test holds every rule module to that).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from vlint.checks import base_model_chat, base_model_low_temperature, base_model_served, unused_suppression
from vlint.checks.meta import RuleMeta

if TYPE_CHECKING:
    from vlint.checks.context import CheckContext
    from vlint.findings import Finding


class Check(Protocol):
    """What a rule module provides."""

    RULE: RuleMeta

    def check(self, ctx: CheckContext) -> Iterable[Finding]: ...


CHECKS: tuple[Check, ...] = (
    base_model_chat,
    base_model_low_temperature,
    base_model_served,
    unused_suppression,
)

RULES: tuple[RuleMeta, ...] = tuple(check.RULE for check in CHECKS)
RULES_BY_CODE: dict[str, RuleMeta] = {rule.code: rule for rule in RULES}
RULES_BY_NAME: dict[str, RuleMeta] = {rule.name: rule for rule in RULES}


def resolve_rule_refs(ref: str) -> tuple[str, ...] | None:
    """What a rule reference selects, as codes or code prefixes: a code, a name, a code prefix (`VL0`, `ALL`),
    or a name prefix that ends where a word does (`base-model` selects VL001, VL002 and VL003). None when it
    selects nothing."""
    single = resolve_rule_ref(ref)
    if single is not None:
        return (single,)
    prefix = ref.strip().lower().rstrip("-")
    codes = tuple(rule.code for rule in RULES if prefix and rule.name.startswith(prefix + "-"))
    return codes or None


def resolve_rule_ref(ref: str) -> str | None:
    """A rule code from a code (`VL001`, case-insensitive), a name, or a code prefix (`VL`, `VL0`, `ALL`)."""
    upper = ref.strip().upper()
    if upper in RULES_BY_CODE:
        return upper
    if ref.strip().lower() in RULES_BY_NAME:
        return RULES_BY_NAME[ref.strip().lower()].code
    if upper == "ALL" or (upper.startswith("VL") and any(code.startswith(upper) for code in RULES_BY_CODE)):
        return upper
    return None
