"""`vlint probe`'s flow: list each endpoint's models, classify them, link them to a project, probe chat.

One endpoint's failure (refused, 401, 5xx, timeout, not JSON, too large) loses only that endpoint: it gets
a one-line error and the run exits 2 once the others are done. Nothing here prints; `progress` is told
what is happening.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vlint.api import Result
from vlint.classify import ModelOverride
from vlint.config import Config
from vlint.findings import Finding
from vlint.probe import project as linking
from vlint.probe.chat import SEED_INCIDENT_TEMPERATURE, ProbePlan, ProbeResult, run_probe, skipped
from vlint.probe.client import (
    BudgetSpent,
    Client,
    ClientSettings,
    EndpointError,
    Secret,
    check_header_safe,
    display_url,
    endpoint_base,
    tls_context,
)
from vlint.probe.served import ServedModel, list_models

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
EXIT_OK, EXIT_BASE_SERVED, EXIT_ERROR = 0, 1, 2
FAILED_VERDICTS = frozenset({"confirmed", "degenerate"})


class ProbeUsageError(Exception):
    """The probe cannot start (a named key variable that is not set, an unusable CA bundle): exit 2."""


@dataclass(frozen=True)
class ProbeOptions:
    samples: int = 2
    chat_probe: bool = True
    online: bool = False
    project: Path | None = None
    api_key_env: str | None = None
    """The variable holding the API key; None: OPENAI_API_KEY when it is set."""
    http: ClientSettings = field(default_factory=ClientSettings)
    seed: int = 0
    progress: Callable[[str], None] | None = None


@dataclass
class ModelReport:
    model: ServedModel
    probes: dict[float, ProbeResult] = field(default_factory=dict)
    uses: list[linking.Use] = field(default_factory=list)

    @property
    def probe(self) -> ProbeResult | None:
        """The probe at the lowest temperature (the worst case), if the model was probed."""
        return self.probes[min(self.probes)] if self.probes else None

    @property
    def fails(self) -> bool:
        """Seen echoing or looping; or base, unless the server refused every chat request the probe sent."""
        if any(p.verdict in FAILED_VERDICTS for p in self.probes.values()):
            return True
        chat_refused = bool(self.probes) and all(p.refused and not p.reached_by_chat for p in self.probes.values())
        return self.model.kind == "base" and not chat_refused


@dataclass
class EndpointReport:
    url: str
    error: str | None = None
    models: list[ModelReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests_sent: int = 0


@dataclass
class ProbeRun:
    endpoints: list[EndpointReport]
    project: Path | None = None
    scan: Result | None = None
    findings: list[Finding] = field(default_factory=list)
    key: Secret | None = None
    chat_probe: bool = True

    @property
    def exit_code(self) -> int:
        if any(e.error for e in self.endpoints):
            return EXIT_ERROR
        if any(m.fails for e in self.endpoints for m in e.models) or self.findings:
            return EXIT_BASE_SERVED
        return EXIT_OK

    def mask(self, text: str) -> str:
        return self.key.mask(text) if self.key is not None else text


def api_key(options: ProbeOptions) -> tuple[Secret | None, str]:
    """The key (or None) and how messages name it; the value itself is never put in a message."""
    name = options.api_key_env or DEFAULT_KEY_ENV
    value = os.environ.get(name, "").strip()
    if not value:
        if options.api_key_env:
            raise ProbeUsageError(f"--api-key-env {name}: the variable is not set")
        return None, f"${name}"
    if not check_header_safe(value):
        raise ProbeUsageError(f"${name} holds characters that cannot be sent in an HTTP header")
    return Secret(value), f"the API key from ${name}"


def _list(url: str, options: ProbeOptions, make_client: Callable[[str], Client],
          overrides: Sequence[ModelOverride]) -> tuple[EndpointReport, Client | None]:
    report = EndpointReport(display_url(url))
    try:
        base = endpoint_base(url)
    except ValueError as exc:
        report.error = f"not a usable endpoint URL: {exc}"
        return report, None
    report.url = display_url(base)
    client = make_client(base)
    try:
        listing = list_models(client, overrides=overrides, online=options.online,
                              base_dir=options.project or Path.cwd())
    except EndpointError as exc:
        report.error = str(exc)
    else:
        report.models = [ModelReport(m) for m in listing.models]
        report.notes.extend(listing.notes)
    report.requests_sent = client.requests_sent
    return report, client


def _probe_model(client: Client, model: ModelReport, options: ProbeOptions) -> None:
    temps = linking.temperatures(model.uses) if model.uses else [SEED_INCIDENT_TEMPERATURE]
    for temperature in temps:
        plan = ProbePlan(model.model.id, temperature, options.samples, seed=options.seed)
        if client.remaining < plan.requests_needed:
            model.probes[temperature] = skipped(
                f"the request budget is spent ({client.settings.max_requests}, --max-requests): "
                f"this probe needs {plan.requests_needed} requests", temperature)
            continue
        if options.progress:
            options.progress(f"{display_url(client.base)}: probing `{model.model.id}` through chat at "
                             f"temperature {temperature:g} ({plan.requests_needed} requests)")
        try:
            model.probes[temperature] = run_probe(client, plan)
        except BudgetSpent as exc:
            model.probes[temperature] = skipped(str(exc), temperature)


def _link_project(run: ProbeRun, project: Path, config: Config) -> None:
    """Scan the project and give each probed-kind model the project's requests that reach it."""
    reports = [(e, m) for e in run.endpoints for m in e.models if m.model.probed_by_default]
    run.scan, uses = linking.scan_project(project, config, [(e.url, m.model) for e, m in reports])
    for endpoint, model in reports:
        model.uses = [u for u in uses if u.endpoint == endpoint.url and u.model is model.model]


def _probe_endpoint(report: EndpointReport, client: Client, options: ProbeOptions) -> None:
    try:
        for model in report.models:
            if model.model.probed_by_default:
                _probe_model(client, model, options)
    except EndpointError as exc:
        report.error = str(exc)
    report.requests_sent = client.requests_sent


def _linked_findings(run: ProbeRun) -> list[Finding]:
    """The project findings the probe reports, each once per endpoint (the aliases of one root, as
    `--served-model-name a b` lists them, share the root's findings)."""
    seen: set[tuple[int, str]] = set()
    out: list[Finding] = []
    for report in run.endpoints:
        for model in report.models:
            for use in model.uses:
                kept = linking.judged(use, linking.nearest(model.probes, use.temperature))
                if kept is not None and (id(use.finding), use.endpoint) not in seen:
                    seen.add((id(use.finding), use.endpoint))
                    out.append(kept)
    return sorted(out, key=Finding.sort_key)


def probe_endpoints(urls: Sequence[str], options: ProbeOptions) -> ProbeRun:
    """Probe every URL; raises ProbeUsageError before any request when the options cannot work."""
    key, key_source = api_key(options)
    try:
        context = tls_context(options.http.ca_bundle)
    except EndpointError as exc:
        raise ProbeUsageError(str(exc)) from None
    config = linking.project_config(options.project) if options.project else None
    overrides = linking.config_overrides(config) if config else ()

    def make_client(base: str) -> Client:
        return Client(base, options.http, key, context=context, key_source=key_source)

    listed = [_list(url, options, make_client, overrides) for url in urls]
    run = ProbeRun([report for report, _ in listed], project=options.project, key=key,
                   chat_probe=options.chat_probe)
    if options.project is not None and config is not None:
        _link_project(run, options.project, config)
    if options.chat_probe:
        for report, client in listed:
            if client is not None and not report.error:
                _probe_endpoint(report, client, options)
    run.findings = _linked_findings(run)
    return run
