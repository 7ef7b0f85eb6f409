"""Turn measured rates into a verdict by comparing the finding's request shape with its control.

Why a control: some prompts get echoed by any model (a request to repeat something), and some models
loop whatever they are asked. Only a failure that is clearly worse in the finding's shape (chat, or a
low temperature) than in the shape a base model is meant for (a continuation-style completion at 0.8,
or the instruct sibling through chat) is evidence for the finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vlint.verify.metrics import Rates

Verdict = Literal["confirmed", "degenerate", "not-reproduced", "skipped"]

MIN_RATE = 0.5
"""The failure must happen in at least half of the finding's outputs."""

MIN_MARGIN = 0.3
"""...and that much more often than in the control (rates are shares of outputs, 0.0 to 1.0)."""


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str


def _pct(x: float) -> str:
    return f"{x:.0%}"


def judge(finding: Rates, controls: list[Rates]) -> Judgement:
    """The verdict for a replayed finding against its controls (the worst control is the bar).

    With no control outputs at all the bar is zero: the finding's rates alone decide, and the reason
    says so.
    """
    if finding.n == 0:
        return Judgement("skipped", "no outputs were generated for the finding's request shape")
    usable = [c for c in controls if c.n > 0]
    control_echo = max((c.echo for c in usable), default=0.0)
    control_failure = max((c.failure for c in usable), default=0.0)
    against = "the control" if usable else "no control (none could be run)"

    if finding.echo >= MIN_RATE and finding.echo - control_echo >= MIN_MARGIN:
        return Judgement(
            "confirmed",
            f"{_pct(finding.echo)} of {finding.n} outputs repeat the prompt, against "
            f"{_pct(control_echo)} for {against}",
        )
    if finding.failure >= MIN_RATE and finding.failure - control_failure >= MIN_MARGIN:
        return Judgement(
            "degenerate",
            f"no echo ({_pct(finding.echo)}), but {_pct(finding.failure)} of {finding.n} outputs are empty "
            f"or repetitive, against {_pct(control_failure)} for {against}",
        )
    return Judgement(
        "not-reproduced",
        f"echo {_pct(finding.echo)} (control {_pct(control_echo)}), empty or repetitive "
        f"{_pct(finding.failure)} (control {_pct(control_failure)}) over {finding.n} outputs",
    )
