"""VL002 base-model-low-temperature: a base model sampled below the temperature threshold, by a request
(its own temperature, or a launch's default when it sets none) or by a launch's default."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from vlint.checks.meta import RuleMeta

if TYPE_CHECKING:
    from vlint.checks.context import BaseRequest, CheckContext
    from vlint.facts import Location, Request
    from vlint.findings import Finding, Related

RULE = RuleMeta("VL002", "base-model-low-temperature", "warning",
                "A base model is sampled at a temperature below the threshold.")


# A completion of at most this many tokens is a probe, not a generation: vLLM's own default output limit for
# the completions API and SamplingParams is 16 tokens, its quickstart asks for 7, and a base model's loop or
# echo needs room to show (generation tasks of evaluation harnesses ask for 32 to 256 and more).
PROBE_MAX_TOKENS = 16


def check(ctx: CheckContext) -> Iterator[Finding]:
    for use in ctx.base_requests:
        temperature, origin, where = _request_temperature(use)
        if temperature is not None and temperature < ctx.threshold:
            probe = probe_reason(use.linked.request)
            message = (f"base model `{use.model}` is sampled at temperature {temperature:g} ({origin}), below "
                       f"{ctx.threshold:g}: low temperatures make a base model repeat the prompt or loop. "
                       f"Fix: {use.fix}.")
            evidence: tuple[str, ...] = (f"temperature {temperature:g}: {origin}",)
            if probe:
                message = (f"base model `{use.model}` is sampled at temperature {temperature:g} ({origin}) in "
                           f"{probe}: a deliberate greedy probe (a smoke test, a scoring request) rather than a "
                           f"generation, so this is information only.")
                evidence += (f"a greedy probe: {probe}, not the failure this rule is about",)
            finding = ctx.finding(RULE, use, message, evidence=evidence, temperature=temperature,
                                  related=_temperature_place(where))
            yield replace(finding, severity="info", confidence="low", fix=None) if probe else finding
    for use in ctx.base_serves:
        serve = use.served.serve
        temperature = ctx.low_serve_temperature(serve)
        if temperature is not None:
            message = (f"base model `{use.model}` is served with a default temperature of {temperature:g} "
                       f"({serve.temperature.origin()}), below {ctx.threshold:g}: every request "  # type: ignore[union-attr]
                       f"that leaves temperature unset runs near-greedy. Fix: {use.fix}.")
            yield ctx.finding(RULE, use, message, temperature=temperature,
                              related=_temperature_place(serve.temperature.location))  # type: ignore[union-attr]


def probe_reason(request: Request) -> str | None:
    """Why a request is a greedy probe and not a generation, or None: a completion (never a chat request, which
    is the failure itself) that asks for at most `PROBE_MAX_TOKENS` tokens or for scores (logprobs,
    prompt_logprobs, echo: how evaluation harnesses score choices by loglikelihood)."""
    if request.is_chat:
        return None
    if request.scores:
        return f"a request for scores ({', '.join(request.scores)})"
    if request.max_tokens is not None and request.max_tokens <= PROBE_MAX_TOKENS:
        return f"a short completion (max_tokens {request.max_tokens})"
    return None


def _request_temperature(use: BaseRequest) -> tuple[float | None, str, Location | None]:
    """The temperature a request runs at, where that number comes from, and where it is written: its own,
    or, when it sets none, the override of the launch it goes through (which replaces the API's default)."""
    request = use.linked.request
    temperature, origin = request.effective_temperature()
    where = request.temperature.location if request.temperature is not None else None
    if request.temperature is None:
        served = [s.temperature for s in use.linked.via if s.temperature is not None]
        if served and isinstance(served[0].literal, (int, float)):
            temperature, origin = float(served[0].literal), f"server-side override, {served[0].origin()}"
            where = served[0].location
    return temperature, origin, where


def _temperature_place(location: Location | None) -> tuple[Related, ...]:
    """The line a low temperature is set on: framed in text output, and a suppression there covers it."""
    from vlint.findings import Related  # a rule module loads only `checks.meta` at import time

    return (Related("temperature", location.path, location.line, location.column),) if location else ()
