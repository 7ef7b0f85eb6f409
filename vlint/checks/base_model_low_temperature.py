"""VL002 base-model-low-temperature: a base model sampled below the temperature threshold, by a request
(its own temperature, or a launch's default when it sets none) or by a launch's default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from vlint.checks.meta import RuleMeta

if TYPE_CHECKING:
    from vlint.checks.context import BaseRequest, CheckContext
    from vlint.findings import Finding

RULE = RuleMeta("VL002", "base-model-low-temperature", "warning",
                "A base model is sampled at a temperature below the threshold.")


def check(ctx: CheckContext) -> Iterator[Finding]:
    for use in ctx.base_requests:
        temperature, origin = _request_temperature(use)
        if temperature is not None and temperature < ctx.threshold:
            message = (f"base model `{use.model}` is sampled at temperature {temperature:g} ({origin}), below "
                       f"{ctx.threshold:g}: low temperatures make a base model repeat the prompt or loop. "
                       f"Fix: {use.fix}.")
            yield ctx.finding(RULE, use, message, evidence=(f"temperature {temperature:g}: {origin}",),
                              temperature=temperature)
    for use in ctx.base_serves:
        serve = use.served.serve
        temperature = ctx.low_serve_temperature(serve)
        if temperature is not None:
            message = (f"base model `{use.model}` is served with a default temperature of {temperature:g} "
                       f"({serve.temperature.origin()}), below {ctx.threshold:g}: every request "  # type: ignore[union-attr]
                       f"that leaves temperature unset runs near-greedy. Fix: {use.fix}.")
            yield ctx.finding(RULE, use, message, temperature=temperature)


def _request_temperature(use: BaseRequest) -> tuple[float | None, str]:
    """The temperature a request runs at and where it comes from: its own, or, when it sets none, the
    override of the launch it goes through (which replaces the API's default)."""
    request = use.linked.request
    temperature, origin = request.effective_temperature()
    if request.temperature is None:
        served = [s.temperature for s in use.linked.via if s.temperature is not None]
        if served and isinstance(served[0].literal, (int, float)):
            temperature, origin = float(served[0].literal), f"server-side override, {served[0].origin()}"
    return temperature, origin
