"""What a rule is to the rest of vlint. Imports nothing of vlint: configuration, suppressions and reports
read rule metadata at import time, and the machinery that judges facts stays out of their way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Stage = Literal["facts", "suppressions"]


@dataclass(frozen=True)
class RuleMeta:
    """A rule's stable identity and defaults.

    `stage` says what the rule reads: "facts" rules judge the linked project and their findings can be
    suppressed; "suppressions" rules run after suppressions are applied and judge the comments themselves.
    """

    code: str
    name: str
    severity: Literal["info", "warning", "error"]
    summary: str
    enabled: bool = True
    stage: Stage = "facts"
