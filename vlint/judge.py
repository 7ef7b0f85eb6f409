"""Rules: small predicates over linked, classified facts.

The registry below is explicit, one line per rule; each rule has one document in `rules/docs/` (checked
by a test both ways). Rules read facts and classifications only, never a parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vlint.classify import Classification, ModelOverride, classify
from vlint.config import Config
from vlint.facts import Request, Serve
from vlint.findings import CONFIDENCE_ORDER, Finding
from vlint.link import LinkedRequest, LinkedServe, Project


@dataclass(frozen=True)
class RuleMeta:
    code: str
    name: str
    severity: str
    summary: str
    enabled: bool = True


RULES: tuple[RuleMeta, ...] = (
    RuleMeta("VL001", "base-model-chat", "error", "A base (pretrained-only) model is queried through a chat API."),
    RuleMeta("VL002", "base-model-low-temperature", "warning",
             "A base model is sampled at a temperature below the threshold."),
    RuleMeta("VL003", "base-model-served", "info",
             "A base model is served and nothing in the project shows how it is called (opt-in).", False),
    RuleMeta("VL100", "unused-suppression", "warning",
             "A `vlint: ignore` comment suppresses nothing, or names an unknown rule."),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
RULES_BY_NAME = {rule.name: rule for rule in RULES}

COMPLETIONS_FIX = "use the completions API with a prompt written for continuation, at temperature 0.7–1.0"


def resolve_rule_ref(ref: str) -> str | None:
    """A rule code from a code (`VL001`, case-insensitive), a name, or a code prefix (`VL`, `VL0`)."""
    upper = ref.strip().upper()
    if upper in RULES_BY_CODE:
        return upper
    if ref.strip().lower() in RULES_BY_NAME:
        return RULES_BY_NAME[ref.strip().lower()].code
    if upper in ("ALL",) or (upper.startswith("VL") and any(code.startswith(upper) for code in RULES_BY_CODE)):
        return upper
    return None


def rule_enabled(code: str, config: Config, path: str | None = None) -> bool:
    from fnmatch import fnmatch

    def matches(refs: tuple[str, ...]) -> bool:
        return any(ref == "ALL" or code.startswith(ref) for ref in refs)

    enabled = matches(config.select) if config.select else RULES_BY_CODE[code].enabled
    if config.ignore and matches(config.ignore):
        enabled = False
    if path is not None:
        for glob, refs in config.per_file_ignores:
            if (fnmatch(path, glob) or fnmatch(path, glob.rstrip("/") + "/*")) and matches(refs):
                enabled = False
    return enabled


_LAUNCHES_SHOWN = 5  # evidence lists this many launches of an alias, then counts the rest


@dataclass
class Judge:
    config: Config
    base_dir: Path | None = None
    classifier: Callable[..., Classification] = classify
    _verdicts: dict[str, Classification] = field(default_factory=dict, init=False, repr=False)
    _nominal: dict[int, tuple[tuple[Serve, ...], bool]] = field(default_factory=dict, init=False, repr=False)

    def _classify(self, model: str) -> Classification:
        """Once per model and run (a monorepo names the same few models thousands of times; the local
        folders and the Hub do not change during a run)."""
        found = self._verdicts.get(model)
        if found is None:
            overrides = tuple(ModelOverride(pattern, kind, f"configuration models.{kind}")
                              for pattern, kind in self.config.models)
            found = self._verdicts[model] = self.classifier(model, overrides=overrides, online=self.config.online,
                                                            base_dir=self.base_dir)
        return found

    def run(self, project: Project) -> list[Finding]:
        findings: list[Finding] = []
        for linked in project.requests:
            findings.extend(self._judge_request(linked))
        for served in project.serves:
            findings.extend(self._judge_serve(served))
        return findings

    # ---- requests --------------------------------------------------------------------------------

    def _all_nominal(self, via: tuple[Serve, ...]) -> bool:
        """Every launch a request goes through is nominal (none: False). Once per shared `via` tuple."""
        found = self._nominal.get(id(via))
        if found is None:
            found = self._nominal[id(via)] = (via, bool(via) and all(s.nominal for s in via))
        return found[1]

    def _judge_request(self, linked: LinkedRequest) -> list[Finding]:
        request = linked.request
        if self._all_nominal(linked.via):
            return []
        verdicts = [(m, self._classify(m)) for m in dict.fromkeys(linked.candidates or (linked.model,))]
        base = [(m, c) for m, c in verdicts if c.kind == "base"]
        if not base:
            return []
        model, cls = base[0]
        evidence = self._evidence(linked, cls)
        if linked.ambiguous:
            others = ", ".join(f"`{m}` ({c.kind})" for m, c in verdicts)
            evidence.append(f"the alias `{linked.request.model.literal if linked.request.model else model}` is served "
                            f"by several launches with different models: {others}")
        template = request.chat_template or next((s.chat_template for s in linked.via if s.chat_template), None) \
            or self._instruct_tokenizer(linked.via)
        out: list[Finding] = []
        confidence = cls.confidence
        if linked.ambiguous or linked.model_value.is_default:
            confidence = _lower(confidence)
        fix = f"use `{cls.sibling}`, or {COMPLETIONS_FIX}" if cls.sibling else COMPLETIONS_FIX

        if request.is_chat:
            severity = "error"
            message = (f"base model `{model}` is queried through a chat API ({request.client}); a pretrained-only "
                       f"model tends to echo the prompt instead of answering. Fix: {fix}.")
            if template:
                severity = "warning"
                confidence = _lower(confidence)
                message += f" A chat template is set explicitly ({template}): if that is deliberate, suppress it."
                evidence.append(f"explicit chat template: {template}")
            out.append(self._finding("VL001", severity, confidence, request, model, cls, message, evidence, fix,
                                     template))

        temperature, origin = request.effective_temperature()
        if request.temperature is None:  # unset: a server-side override replaces the API default
            served = [s.temperature for s in linked.via if s.temperature is not None]
            if served and isinstance(served[0].literal, (int, float)):
                temperature, origin = float(served[0].literal), f"server-side override, {served[0].origin()}"
        if temperature is not None and temperature < self.config.temperature_threshold:
            where = origin
            message = (f"base model `{model}` is sampled at temperature {temperature:g} ({where}), below "
                       f"{self.config.temperature_threshold:g}: low temperatures make a base model repeat the "
                       f"prompt or loop. Fix: {fix}.")
            out.append(self._finding("VL002", "warning", confidence, request, model, cls, message,
                                     evidence + [f"temperature {temperature:g}: {where}"], fix, template,
                                     temperature=temperature))
        return out

    def _instruct_tokenizer(self, serves: tuple[Serve, ...]) -> str | None:
        """`--tokenizer <an instruct repo>` gives a base model that repo's chat template (vllm.md T6)."""
        for serve in serves:
            if serve.tokenizer and self._classify(serve.tokenizer).chat_capable:
                return f"--tokenizer {serve.tokenizer} (an instruct tokenizer brings its chat template)"
        return None

    def _evidence(self, linked: LinkedRequest, cls: Classification) -> list[str]:
        evidence = []
        value = linked.model_value
        where = f" at {value.location}" if value.location else ""
        note = f" ({value.note})" if value.note else ""
        evidence.append(f"model `{linked.model}`{note}{where}")
        evidence.extend(cls.evidence)
        for serve in linked.via[:_LAUNCHES_SHOWN]:
            evidence.append(f"launched by {serve.launcher} at {serve.location}")
        if len(linked.via) > _LAUNCHES_SHOWN:
            evidence.append(f"and {len(linked.via) - _LAUNCHES_SHOWN} more launches serving it")
        return evidence

    def _finding(self, code: str, severity: str, confidence: str, request: Request | _ServeAsRequest, model: str,
                 cls: Classification,
                 message: str, evidence: list[str], fix: str, template: str | None,
                 temperature: float | None = None) -> Finding:
        meta = RULES_BY_CODE[code]
        temp, _ = request.effective_temperature()
        return Finding(
            rule=code, name=meta.name, severity=severity, confidence=confidence,  # type: ignore[arg-type]
            path=request.location.path, line=request.location.line, column=request.location.column,
            message=message, model=model, model_kind=cls.kind, evidence=list(dict.fromkeys(evidence)),
            api=request.api, temperature=temperature if temperature is not None else temp,
            messages=request.messages, prompt=request.prompt,
            chat_template=template, fix=fix, context=request.context,
        )

    # ---- launches --------------------------------------------------------------------------------

    def _judge_serve(self, served: LinkedServe) -> list[Finding]:
        serve = served.serve
        if serve.nominal:
            return []
        cls = self._classify(served.model)
        if cls.kind != "base":
            return []
        evidence = [f"model `{served.model}`" + (f" ({served.model_value.note})" if served.model_value.note else "")
                    + f" at {served.model_value.location or serve.location}", *cls.evidence]
        fix = f"serve `{cls.sibling}`, or {COMPLETIONS_FIX}" if cls.sibling else COMPLETIONS_FIX
        out: list[Finding] = []
        loc_request = _ServeAsRequest(serve)
        temperature = serve.temperature
        if temperature is not None and isinstance(temperature.literal, (int, float)) and \
                not isinstance(temperature.literal, bool) and temperature.literal < self.config.temperature_threshold:
            t = float(temperature.literal)
            message = (f"base model `{served.model}` is served with a default temperature of {t:g} "
                       f"({temperature.origin()}), below {self.config.temperature_threshold:g}: every request "
                       f"that leaves temperature unset runs near-greedy. Fix: {fix}.")
            out.append(self._finding("VL002", "warning", cls.confidence, loc_request, served.model, cls, message,
                                     evidence, fix, serve.chat_template, temperature=t))
        if serve.forwards_chat and served.linked_requests == 0:
            message = (f"base model `{served.model}` sits behind a {serve.launcher} proxy that serves chat "
                       f"completions; a pretrained-only model tends to echo the prompt. Fix: {fix}.")
            out.append(self._finding("VL001", "warning" if serve.chat_template else "error",
                                     _lower(cls.confidence), loc_request, served.model, cls, message, evidence,
                                     fix, serve.chat_template))
        elif served.linked_requests == 0 and not out:
            message = (f"base model `{served.model}` is served ({serve.launcher}); nothing in the project shows "
                       f"how it is called. If clients use chat completions, they will get echoes. Fix: {fix}.")
            out.append(self._finding("VL003", "info", _lower(cls.confidence), loc_request, served.model, cls,
                                     message, evidence, fix, serve.chat_template))
        return out


@dataclass(frozen=True)
class _ServeAsRequest:
    """Gives a launch the location/context attributes a finding is built from."""

    serve: Serve

    @property
    def location(self):
        return self.serve.location

    @property
    def context(self) -> str:
        return self.serve.context

    @property
    def api(self) -> str:
        return "chat" if self.serve.forwards_chat else "serve"

    messages = None
    prompt = None

    def effective_temperature(self) -> tuple[float | None, str]:
        literal = self.serve.temperature.literal if self.serve.temperature is not None else None
        if isinstance(literal, (int, float)) and not isinstance(literal, bool):
            return float(literal), self.serve.temperature.origin()  # type: ignore[union-attr]
        return None, "unset"


def _lower(confidence: str) -> str:
    order = ["low", "medium", "high"]
    return order[max(CONFIDENCE_ORDER[confidence] - 1, 0)]
