"""Link the models an endpoint serves to a project's requests, through vlint's own scan.

A client names the server's alias (`model="qwen"`) and the project often does not launch the server
itself, so its scan alone cannot tell that `qwen` is a base model: the endpoint can. It tells the scan
through the same `models` overrides a user writes in `[tool.vlint]`, appended after the user's own (which
still win): every served name the probe would probe (base or unknown) is declared base for this one scan,
so the rules report each chat or low-temperature request that reaches one. Afterwards the probe keeps the
findings whose model is base by vlint's knowledge of the endpoint's root, or whose chat it saw echo or
loop, gives them the probe's evidence and verdict, and drops the rest.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, replace
from pathlib import Path

from vlint.api import Result, scan
from vlint.classify import ModelOverride
from vlint.config import Config, load_config
from vlint.findings import Finding
from vlint.probe.chat import SEED_INCIDENT_TEMPERATURE, ProbeResult
from vlint.probe.served import ServedModel

LINKED_RULES = frozenset({"VL001", "VL002"})
CHAT_APIS = frozenset({"chat", "offline-chat"})
MAX_TEMPERATURES = 3
"""Distinct temperatures probed per model (the lowest the project uses): each costs a full probe."""

_OVERRIDE_NOTE = "override: '{pattern}' declares this model base"


def project_config(project: Path) -> Config:
    return load_config(project)


def config_overrides(config: Config) -> tuple[ModelOverride, ...]:
    """The project's own `models` declarations, for classifying what the endpoint serves."""
    return tuple(ModelOverride(pattern, kind, f"configuration models.{kind}") for pattern, kind in config.models)


@dataclass(frozen=True)
class Use:
    """A project finding on a request that reaches a served model."""

    finding: Finding
    endpoint: str
    model: ServedModel

    @property
    def through_chat(self) -> bool:
        return self.finding.api in CHAT_APIS

    @property
    def temperature(self) -> float:
        t = self.finding.temperature
        return SEED_INCIDENT_TEMPERATURE if t is None else float(t)


def _key(name: str) -> str:
    return name.strip().lower()


def scan_project(
    project: Path, config: Config, served: list[tuple[str, ServedModel]]
) -> tuple[Result, list[Use]]:
    """Scan `project` with the served names declared base, and pair each VL001/VL002 finding with the
    served models (endpoint, model) it names. Findings on anything else are left out of the uses."""
    names: dict[str, list[tuple[str, ServedModel]]] = {}
    for endpoint, model in served:
        for name in model.names:
            names.setdefault(_key(name), []).append((endpoint, model))
    declared = tuple((glob.escape(name), "base") for name in dict.fromkeys(n for n in names))
    result = scan([project], replace(config, models=config.models + declared))
    uses = [
        Use(finding, endpoint, model)
        for finding in result.findings
        if finding.rule in LINKED_RULES
        for endpoint, model in names.get(_key(finding.model), ())
    ]
    return result, uses


def temperatures(uses: list[Use]) -> list[float]:
    """The temperatures to probe a model at: those its chat requests use (lowest first), else 0.1."""
    found = sorted({round(u.temperature, 4) for u in uses if u.through_chat})
    return found[:MAX_TEMPERATURES] or [SEED_INCIDENT_TEMPERATURE]


def nearest(probes: dict[float, ProbeResult], temperature: float) -> ProbeResult | None:
    if not probes:
        return None
    return probes[min(probes, key=lambda t: (abs(t - temperature), t))]


def judged(use: Use, probe: ProbeResult | None) -> Finding | None:
    """The finding as the probe reports it, or None when nothing shows a problem.

    Kept: a model that is base by its root, or one whose chat the probe saw echo or loop (for requests
    through chat: that is what the probe measured). The scan's override note gives way to the served
    model's own evidence.
    """
    model, finding = use.model, use.finding
    observed = probe is not None and use.through_chat and probe.verdict in ("confirmed", "degenerate")
    if model.kind != "base" and not observed:
        return None
    ours = {_OVERRIDE_NOTE.format(pattern=glob.escape(n)) for n in model.names}
    evidence = [e for e in finding.evidence if not any(e.startswith(o) for o in ours)]
    kept = replace(
        finding,
        model_kind=model.kind,
        confidence="high" if observed else model.confidence,  # type: ignore[arg-type]
        evidence=list(dict.fromkeys([*evidence, f"listed by {use.endpoint}/models", *model.evidence])),
    )
    if model.kind != "base":
        kept.message = (
            f"the chat probe saw `{model.id}` at {use.endpoint} answer like a base model ({probe.verdict}): "  # type: ignore[union-attr]
            + finding.message
        )
    if probe is not None and use.through_chat:
        kept.verify = {"method": "probe", "endpoint": use.endpoint, "served_as": model.id, **probe.as_dict()}
    return kept
