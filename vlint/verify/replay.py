"""Plan the replay of base-model findings, run one engine per model, and write verdicts back.

The flow for each VL001/VL002 finding on a base model: resolve the model to something loadable
without a download (unless allowed) -> build its request shape (chat or completion, its temperature,
its literal messages plus the probe set) and the control shapes -> run every model's requests in one
engine process -> score every output -> judge against the control -> `finding.verify`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vlint.findings import Finding
from vlint.verify.engine import Engine, EngineJob, EngineResult, ReplayRequest, SubprocessEngine
from vlint.verify.metrics import Rates, ScoredOutput, rates, score_output
from vlint.verify.probes import CONTROL_TEMPERATURE, PROBES, continuation_prompt
from vlint.verify.verdict import judge

REPLAYED_RULES = frozenset({"VL001", "VL002"})
CHAT_APIS = frozenset({"chat", "offline-chat"})
# vlint is installed from its repository (a clone, pre-commit, the Action), not from PyPI, so the hint names
# what works from anywhere: vLLM itself, or the `verify` extra of the clone.
INSTALL_HINT = ("vLLM is not installed: pip install 'vllm>=0.8' (in a vlint clone: pip install -e '.[verify]'), "
                "or set VLINT_VLLM_PYTHON to a Python that has it")


class VerifyUnavailable(RuntimeError):
    """--verify cannot run at all (no vLLM for the chosen interpreter); the CLI exits 2 with this message."""


@dataclass(frozen=True)
class VerifyOptions:
    """How to replay. `python` is the interpreter that has vllm: this option, else the environment
    variable VLINT_VLLM_PYTHON, else the running interpreter."""

    samples: int = 8
    seed: int = 0
    model_paths: Mapping[str, str] = field(default_factory=dict)
    allow_download: bool = False
    engine_args: Mapping[str, object] = field(default_factory=dict)
    trust_remote_code: bool = False
    python: str | None = None
    max_tokens: int = 32
    progress: Callable[[str], None] | None = None

    def interpreter(self) -> str:
        return self.python or os.environ.get("VLINT_VLLM_PYTHON") or sys.executable


# ---------------------------------------------------------------- availability


def check_vllm(python: str, timeout_s: float = 60.0) -> None:
    """Raise VerifyUnavailable unless `python` can find vllm. Finds the spec without importing it (fast)."""
    probe = "import importlib.util,sys; sys.exit(importlib.util.find_spec('vllm') is None)"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VerifyUnavailable(f"{INSTALL_HINT} (cannot run {python}: {exc})") from exc
    if done.returncode != 0:
        where = "" if python == sys.executable else f" (checked {python})"
        raise VerifyUnavailable(INSTALL_HINT + where)


def check_available(options: VerifyOptions) -> None:
    """Fail before the scan, not after it: raise VerifyUnavailable unless the engine interpreter has vllm."""
    check_vllm(options.interpreter())


# ---------------------------------------------------------------- model resolution


@dataclass(frozen=True)
class ResolvedModel:
    """Where the engine loads a model from (`source`), or why it cannot (`skip_reason`)."""

    model: str
    source: str | None = None
    how: str = ""
    skip_reason: str | None = None


def _local_dir(path: Path) -> bool:
    return path.is_dir() and (path / "config.json").is_file()


def _cached_snapshot(model: str) -> Path | None:
    """The model's snapshot in the local Hugging Face cache (HF_HOME / HF_HUB_CACHE), never a download."""
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", model):
        return None
    try:
        from huggingface_hub import snapshot_download

        path = Path(snapshot_download(model, local_files_only=True))
    except Exception:
        return None
    return path if _local_dir(path) else None


def resolve_model(model: str, options: VerifyOptions, *, cwd: Path | None = None) -> ResolvedModel:
    base = cwd or Path.cwd()
    mapped = options.model_paths.get(model)
    if mapped is not None:
        path = (base / mapped).resolve()
        if _local_dir(path):
            return ResolvedModel(model, str(path), f"--model-path {model}={mapped}")
        return ResolvedModel(
            model, skip_reason=f"--model-path {model}={mapped}: no model directory (config.json) there"
        )
    as_path = base / Path(model).expanduser()  # an absolute path stays as it is
    if _local_dir(as_path):
        return ResolvedModel(model, str(as_path.resolve()), "local directory")
    snapshot = _cached_snapshot(model)
    if snapshot is not None:
        return ResolvedModel(model, str(snapshot), "local Hugging Face cache")
    if options.allow_download:
        return ResolvedModel(model, model, "download (--allow-download)")
    return ResolvedModel(
        model,
        skip_reason=f"model not local: {model} is not a model directory and not in the local Hugging Face "
        f"cache; pass --model-path {model}=DIR, set HF_HOME to a cache that has it, or use --allow-download",
    )


def instruct_sibling_ids(model: str) -> list[str]:
    """Likely names of the instruction-tuned sibling of a base model id, most likely first."""
    if "/" not in model or _local_dir(Path(model)):
        return []
    names: list[str] = []
    base_suffix = re.search(r"-(base|Base)$", model)
    if base_suffix:
        stem = model[: base_suffix.start()]
        names += [stem + "-instruct", stem + "-Instruct", stem + "-chat", stem + "-Chat"]
    version = re.search(r"-(v\d[\w.]*)$", model)
    if version:
        names.append(model[: version.start()] + "-Instruct" + model[version.start() :])
    names += [model + "-Instruct", model + "-instruct", model + "-Chat", model + "-chat", model + "-it"]
    return names


def resolve_instruct_sibling(
    model: str, options: VerifyOptions, cwd: Path | None = None
) -> ResolvedModel | None:
    """The instruct sibling, only when it is already local (a control is never worth a download)."""
    for sibling in instruct_sibling_ids(model):
        mapped = options.model_paths.get(sibling)
        path = (cwd or Path.cwd()) / mapped if mapped is not None else None
        if path is not None and _local_dir(path):
            return ResolvedModel(sibling, str(path.resolve()), f"--model-path {sibling}={mapped}")
        snapshot = _cached_snapshot(sibling)
        if snapshot is not None:
            return ResolvedModel(sibling, str(snapshot), "local Hugging Face cache")
    return None


# ---------------------------------------------------------------- request shapes


@dataclass(frozen=True)
class Shape:
    """A finding's requests: what is sent (`request`) and what an echo would restate (`reference`)."""

    reference: str
    request: ReplayRequest


def _key(*parts: object) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _request(
    api: str,
    temperature: float,
    options: VerifyOptions,
    *,
    messages: tuple[tuple[str, str], ...] | None = None,
    prompt: str | None = None,
    chat_template: str | None = None,
) -> ReplayRequest:
    key = _key(api, temperature, options.samples, options.max_tokens, messages, prompt, chat_template)
    return ReplayRequest(
        key=key,
        api=api,
        temperature=temperature,
        samples=options.samples,
        max_tokens=options.max_tokens,
        messages=messages,
        prompt=prompt,
        chat_template=chat_template,
    )


def is_chat(finding: Finding) -> bool:
    return finding.api in CHAT_APIS or (finding.api is None and finding.messages is not None)


def read_chat_template(value: str | None, cwd: Path | None = None) -> tuple[str | None, str]:
    """The deployment's chat template as text, and a note for the report.

    A readable file is used; an inline Jinja template (vLLM's --chat-template accepts one) is used as is;
    anything else falls back to the model's own template, and the note says so.
    """
    if not value:
        return None, ""
    path = Path(value) if Path(value).is_absolute() else (cwd or Path.cwd()) / value
    try:
        if path.is_file():
            return path.read_text(encoding="utf-8"), f"chat template {value}"
    except OSError:
        pass
    if "{%" in value or "{{" in value:
        return value, "inline chat template"
    return None, f"chat template {value} could not be read; the model's own template was used"


def finding_shapes(
    finding: Finding, options: VerifyOptions, cwd: Path | None = None
) -> tuple[list[Shape], str]:
    """The finding's request shape over its literal messages or prompt and the probe set."""
    temperature = 1.0 if finding.temperature is None else float(finding.temperature)
    shapes: list[Shape] = []
    if is_chat(finding):
        template, note = read_chat_template(finding.chat_template, cwd)
        conversations: list[tuple[tuple[str, str], ...]] = []
        if finding.messages:
            conversations.append(tuple((str(r), str(c)) for r, c in finding.messages))
        conversations += [(("user", probe),) for probe in PROBES]
        for conversation in conversations:
            users = [content for role, content in conversation if role == "user"]
            reference = users[-1] if users else conversation[-1][1]
            shapes.append(
                Shape(
                    reference,
                    _request("chat", temperature, options, messages=conversation, chat_template=template),
                )
            )
        return shapes, note
    prompts = ([finding.prompt] if finding.prompt else []) + list(PROBES)
    for prompt in prompts:
        shapes.append(Shape(prompt, _request("completion", temperature, options, prompt=prompt)))
    return shapes, ""


def control_shapes(references: list[str], options: VerifyOptions) -> list[Shape]:
    """The shape a base model is meant for: each text as a continuation prompt, completion at 0.8."""
    return [
        Shape(ref, _request("completion", CONTROL_TEMPERATURE, options, prompt=continuation_prompt(ref)))
        for ref in references
    ]


def sibling_shapes(shapes: list[Shape]) -> list[Shape]:
    """The finding's own chat requests, for the instruct sibling (its own template, never the deployment's)."""
    out = []
    for shape in shapes:
        r = shape.request
        if r.api == "chat":
            out.append(
                Shape(
                    shape.reference,
                    ReplayRequest(
                        key=_key("sibling", r.key),
                        api="chat",
                        temperature=r.temperature,
                        samples=r.samples,
                        max_tokens=r.max_tokens,
                        messages=r.messages,
                    ),
                )
            )
    return out


# ---------------------------------------------------------------- the run


@dataclass
class _Plan:
    """Everything one finding needs, and what it got back."""

    finding: Finding
    resolved: ResolvedModel
    shapes: list[Shape] = field(default_factory=list)
    controls: list[Shape] = field(default_factory=list)
    sibling: ResolvedModel | None = None
    sibling_shapes: list[Shape] = field(default_factory=list)
    note: str = ""


def _jobs(plans: list[_Plan], options: VerifyOptions) -> dict[str, EngineJob]:
    """One job per model source, with duplicate requests (VL001 and VL002 on one call) sent once."""
    requests: dict[str, dict[str, ReplayRequest]] = {}
    for plan in plans:
        if plan.resolved.source is None:
            continue
        bucket = requests.setdefault(plan.resolved.source, {})
        for shape in plan.shapes + plan.controls:
            bucket.setdefault(shape.request.key, shape.request)
        if plan.sibling is not None and plan.sibling.source is not None:
            sib = requests.setdefault(plan.sibling.source, {})
            for shape in plan.sibling_shapes:
                sib.setdefault(shape.request.key, shape.request)
    return {
        source: EngineJob(
            model=source,
            requests=tuple(reqs.values()),
            seed=options.seed,
            engine_args=dict(options.engine_args),
            trust_remote_code=options.trust_remote_code,
            allow_download=options.allow_download,
        )
        for source, reqs in requests.items()
    }


def _score(shapes: list[Shape], result: EngineResult | None) -> tuple[list[ScoredOutput], list[str]]:
    scored: list[ScoredOutput] = []
    errors: list[str] = []
    if result is None:
        return scored, errors
    for shape in shapes:
        got = result.results.get(shape.request.key)
        if got is None:
            continue
        if got.error:
            errors.append(got.error)
        for out in got.outputs:
            scored.append(score_output(out.text, shape.reference, finish_reason=out.finish_reason))
    return scored, errors


def _skipped(reason: str, options: VerifyOptions, **extra: Any) -> dict[str, Any]:
    return {
        "verdict": "skipped",
        "echo_rate": None,
        "control_echo_rate": None,
        "empty_rate": None,
        "degenerate_rate": None,
        "reason": reason,
        "samples": [],
        "control_samples": [],
        "trust_remote_code": options.trust_remote_code,
        **extra,
    }


def _verdict(plan: _Plan, results: Mapping[str, EngineResult], options: VerifyOptions) -> dict[str, Any]:
    resolved = plan.resolved
    if resolved.source is None:
        return _skipped(resolved.skip_reason or "model not loadable", options)
    engine = results.get(resolved.source)
    where = {"model_source": resolved.source, "model_resolved_by": resolved.how}
    if engine is None or engine.error:
        kind = engine.error_kind if engine else "error"
        message = engine.error if engine else "the engine did not run"
        return _skipped(f"{kind}: {message}", options, **where)
    finding_out, errors = _score(plan.shapes, engine)
    if not finding_out:
        first = errors[0] if errors else "no outputs"
        reason = "vLLM rejected the finding's requests: " + first
        if "chat template" in first.lower():
            # Evidence of another kind: the call fails outright (HTTP 400 from a server) instead of echoing.
            reason = (
                "the model has no chat template, so vLLM rejects every chat request (a server answers "
                "HTTP 400); nothing to measure: " + first
            )
        return _skipped(reason, options, **where)
    control_out, _ = _score(plan.controls, engine)
    sibling_out: list[ScoredOutput] = []
    if plan.sibling is not None and plan.sibling.source is not None:
        sibling_out, _ = _score(plan.sibling_shapes, results.get(plan.sibling.source))
    finding_rates, control_rates = rates(finding_out), rates(control_out)
    controls: list[Rates] = [control_rates] + ([rates(sibling_out)] if sibling_out else [])
    judgement = judge(finding_rates, controls)
    reason = judgement.reason + (f"; {plan.note}" if plan.note else "")
    verify: dict[str, Any] = {
        "verdict": judgement.verdict,
        "echo_rate": round(finding_rates.echo, 4),
        "control_echo_rate": round(control_rates.echo, 4) if control_rates.n else None,
        "empty_rate": round(finding_rates.empty, 4),
        "degenerate_rate": round(finding_rates.degenerate, 4),
        "control_empty_rate": round(control_rates.empty, 4) if control_rates.n else None,
        "control_degenerate_rate": round(control_rates.degenerate, 4) if control_rates.n else None,
        "reason": reason,
        "outputs": finding_rates.n,
        "temperature": plan.shapes[0].request.temperature if plan.shapes else None,
        "api": plan.shapes[0].request.api if plan.shapes else None,
        "samples": [o.as_dict() for o in finding_out],
        "control_samples": [o.as_dict() for o in control_out],
        "trust_remote_code": options.trust_remote_code,
        "device": engine.device,
        "engine_args": dict(engine.engine_args),
        "timings": dict(engine.timings),
        **where,
    }
    if errors:
        verify["request_errors"] = errors[:5]
    if sibling_out:
        verify["instruct_model"] = plan.sibling.model if plan.sibling else None
        verify["instruct_echo_rate"] = round(rates(sibling_out).echo, 4)
        verify["instruct_samples"] = [o.as_dict() for o in sibling_out]
    return verify


def verify_findings(
    findings: list[Finding], options: VerifyOptions, *, engine: Engine | None = None, cwd: Path | None = None
) -> None:
    """Replay every VL001/VL002 finding on a base model through vLLM and set `finding.verify`.

    Other findings are left untouched. A confirmed finding's confidence becomes "high".
    Raises VerifyUnavailable (before any work) when the chosen interpreter has no vllm.
    """
    if engine is None:
        python = options.interpreter()
        check_vllm(python)
        engine = SubprocessEngine(python)
    say = options.progress or (lambda _message: None)
    plans: list[_Plan] = []
    for finding in findings:
        if (
            finding.rule not in REPLAYED_RULES
            or finding.model_kind != "base"
            or finding.suppressed is not None
        ):
            continue
        plan = _Plan(finding, resolve_model(finding.model, options, cwd=cwd))
        if plan.resolved.source is not None:
            plan.shapes, plan.note = finding_shapes(finding, options, cwd)
            plan.controls = control_shapes(list(dict.fromkeys(s.reference for s in plan.shapes)), options)
            if is_chat(finding):
                plan.sibling = resolve_instruct_sibling(finding.model, options, cwd)
                if plan.sibling is not None:
                    plan.sibling_shapes = sibling_shapes(plan.shapes)
        plans.append(plan)

    jobs = _jobs(plans, options)
    results: dict[str, EngineResult] = {}
    for i, (source, job) in enumerate(jobs.items(), start=1):
        label = f"[{i}/{len(jobs)}] {source}"
        say(f"{label}: {len(job.requests)} requests x {options.samples} samples")
        results[source] = engine.run(job, lambda message, label=label: say(f"{label}: {message}"))
        if results[source].error:
            say(f"{label}: failed ({results[source].error_kind})")

    for plan in plans:
        plan.finding.verify = _verdict(plan, results, options)
        if plan.finding.verify["verdict"] == "confirmed":
            plan.finding.confidence = "high"
