"""What the rules share: one classification per model, the uses of base models with their evidence, and
the finding builder.

Rules read facts and classifications only, never a parser. The context works out once what several rules
need about a request or a launch that puts a base model to use (which model, why it is base, where the
name came from, the chat template that makes chat work, how sure we are), so a rule is a short predicate
over `ctx.base_requests` or `ctx.base_serves` and never rewires another rule's branches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from vlint.checks.meta import RuleMeta
from vlint.classify import Classification, ModelOverride, classify
from vlint.config import Config
from vlint.facts import Location, Request, Serve, Value
from vlint.findings import CONFIDENCE_ORDER, Confidence, Finding, Related, Severity
from vlint.link import LinkedRequest, LinkedServe, Project
from vlint.suppress import SuppressionIndex

COMPLETIONS_FIX = "use the completions API with a prompt written for continuation, at temperature 0.7–1.0"
_LAUNCHES_SHOWN = 5  # evidence lists this many launches of an alias, then counts the rest
_CONFIDENCES: tuple[Confidence, ...] = ("low", "medium", "high")


def lower_confidence(confidence: str) -> Confidence:
    """One step less sure (low stays low)."""
    return _CONFIDENCES[max(CONFIDENCE_ORDER[confidence] - 1, 0)]


def served_temperature(serve: Serve) -> float | None:
    """A launch's default temperature, when it is written as a number."""
    literal = serve.temperature.literal if serve.temperature is not None else None
    if isinstance(literal, (int, float)) and not isinstance(literal, bool):
        return float(literal)
    return None


@dataclass(frozen=True)
class Site:
    """Where a finding points, and what it carries from the request or launch it is about."""

    location: Location
    context: str
    api: str
    temperature: float | None  # the fact's own temperature, shown when a rule names none
    messages: tuple[tuple[str, str], ...] | None = None
    prompt: str | None = None

    @classmethod
    def of_request(cls, request: Request) -> Site:
        temperature, _ = request.effective_temperature()
        return cls(request.location, request.context, request.api, temperature, request.messages, request.prompt)

    @classmethod
    def of_serve(cls, serve: Serve) -> Site:
        return cls(serve.location, serve.context, "chat" if serve.forwards_chat else "serve", served_temperature(serve))


@dataclass(frozen=True)
class BaseUse:
    """A request or a launch that puts a base model to use, with what every rule about it needs."""

    site: Site
    model: str
    classification: Classification
    evidence: tuple[str, ...]
    confidence: str
    fix: str
    template: str | None  # a chat template that makes chat work: set explicitly, or an instruct tokenizer's
    related: tuple[Related, ...]  # where the model is named, and the launches that serve it


@dataclass(frozen=True)
class BaseRequest(BaseUse):
    linked: LinkedRequest


@dataclass(frozen=True)
class BaseServe(BaseUse):
    served: LinkedServe


@dataclass
class CheckContext:
    """What every rule receives, one per run: the configuration, the linked project, the suppressions
    (VL100 reads them), and the helpers below."""

    config: Config
    project: Project
    suppressions: SuppressionIndex
    base_dir: Path | None = None
    _verdicts: dict[str, Classification] = field(default_factory=dict, init=False, repr=False)
    _nominal: dict[int, tuple[tuple[Serve, ...], bool]] = field(default_factory=dict, init=False, repr=False)

    @property
    def threshold(self) -> float:
        return self.config.temperature_threshold

    def classify(self, model: str) -> Classification:
        """Once per model and run (a monorepo names the same few models thousands of times; the local
        folders and the Hub do not change during a run)."""
        found = self._verdicts.get(model)
        if found is None:
            overrides = tuple(ModelOverride(pattern, kind, f"configuration models.{kind}")
                              for pattern, kind in self.config.models)
            found = self._verdicts[model] = classify(model, overrides=overrides, online=self.config.online,
                                                     base_dir=self.base_dir)
        return found

    def low_serve_temperature(self, serve: Serve) -> float | None:
        """A launch's default temperature when it is below the threshold, else None."""
        temperature = served_temperature(serve)
        return temperature if temperature is not None and temperature < self.threshold else None

    # ---- the uses of base models ------------------------------------------------------------------

    @cached_property
    def base_requests(self) -> tuple[BaseRequest, ...]:
        """The requests whose model is base, in project order."""
        return tuple(use for linked in self.project.requests if (use := self._base_request(linked)) is not None)

    @cached_property
    def base_serves(self) -> tuple[BaseServe, ...]:
        """The launches that serve a base model, in project order."""
        return tuple(use for served in self.project.serves if (use := self._base_serve(served)) is not None)

    def _base_request(self, linked: LinkedRequest) -> BaseRequest | None:
        """The request as a use of a base model, or None. A request that reaches only nominal launches (a
        simulator image, `--load-format dummy`, a headless worker) is not judged; of several models behind
        one alias, the first base one is reported and the ambiguity is said in the evidence, at lower
        confidence. A request that asks the server for its model is reported only when every model the
        launches it may reach serve is base (whichever it reaches): of several launches on its port or in its
        folder, one base model among instruct ones is no evidence that this request meets it."""
        if self._all_nominal(linked.via):
            return None
        verdicts = [(m, self.classify(m)) for m in dict.fromkeys(linked.candidates or (linked.model,))]
        base = [(m, c) for m, c in verdicts if c.kind == "base"]
        if not base or linked.reach_confidence is not None and len(base) < len(verdicts):
            return None  # it asks the server, and the launches it may reach serve other models too: no evidence
        model, cls = base[0]
        request = linked.request
        evidence = [_model_line(linked.model, linked.model_value, linked.model_value.location), *cls.evidence]
        if linked.request.templated_by is not None:
            made = linked.request.templated_by
            where = f" at {made.location}" if made.location is not None else ""
            evidence.append(f"the prompt is made by `{made.literal}`{where}: chat formatting by hand")
        evidence.extend(f"launched by {serve.launcher} at {serve.location}" for serve in linked.via[:_LAUNCHES_SHOWN])
        if len(linked.via) > _LAUNCHES_SHOWN:
            evidence.append(f"and {len(linked.via) - _LAUNCHES_SHOWN} more launches serving it")
        if linked.ambiguous:
            others = ", ".join(f"`{m}` ({c.kind})" for m, c in verdicts)
            what = (f"the alias `{request.model.literal}` is served" if request.model and request.model.literal
                    else "the server it asks for its model may be")
            evidence.append(f"{what} by several launches with different models: {others}")
        confidence: str = cls.confidence
        if linked.ambiguous or linked.model_value.is_default:
            confidence = lower_confidence(confidence)
        if linked.reach_confidence is not None:  # the model is whatever the launches it reaches serve
            confidence = min(confidence, linked.reach_confidence, key=CONFIDENCE_ORDER.__getitem__)
        elif guess := _unbound_name(linked):
            evidence.append(guess)
            confidence = "low"
        template, partial = self._template(request, linked.via)
        if partial:
            evidence.append(partial)
        if request.is_chat and template:  # chatting with a base model may be deliberate: said in every finding
            evidence.append(f"explicit chat template: {template}")
            confidence = lower_confidence(confidence)
        fix = f"use `{cls.sibling}`, or {COMPLETIONS_FIX}" if cls.sibling else COMPLETIONS_FIX
        related = (*_related("model", linked.model_value.location),
                   *(r for serve in linked.via[:_LAUNCHES_SHOWN] for r in _related("launch", serve.location)))
        return BaseRequest(Site.of_request(request), model, cls, tuple(evidence), confidence, fix, template,
                           related, linked)

    def _template(self, request: Request, via: tuple[Serve, ...]) -> tuple[str | None, str]:
        """The chat template a request gets: its own, or the one every launch it reaches sets (explicitly, or
        through an instruct tokenizer). Launches it does not reach say nothing about it; when only some of
        those it may reach set one, that is said (second value) but chat through the others is not excused."""
        if request.chat_template:
            return request.chat_template, ""
        templates = [(s, s.chat_template or self._instruct_tokenizer((s,))) for s in via]
        set_on = [(s, t) for s, t in templates if t]
        if set_on and len(set_on) == len(templates):
            return set_on[0][1], ""
        if set_on:
            serve, template = set_on[0]
            missing = next(s for s, t in templates if not t)
            return None, (f"a chat template is set on the launch at {serve.location} ({template}) but not on the "
                          f"one at {missing.location}, which this request may reach")
        return None, ""

    def _base_serve(self, served: LinkedServe) -> BaseServe | None:
        serve = served.serve
        if serve.nominal:
            return None
        cls = self.classify(served.model)
        if cls.kind != "base":
            return None
        evidence = (_model_line(served.model, served.model_value, served.model_value.location or serve.location),
                    *cls.evidence)
        fix = f"serve `{cls.sibling}`, or {COMPLETIONS_FIX}" if cls.sibling else COMPLETIONS_FIX
        return BaseServe(Site.of_serve(serve), served.model, cls, evidence, cls.confidence, fix, serve.chat_template,
                         _related("model", served.model_value.location), served)

    def _all_nominal(self, via: tuple[Serve, ...]) -> bool:
        """Every launch a request goes through is nominal (none: False). Once per shared `via` tuple."""
        found = self._nominal.get(id(via))
        if found is None:
            found = self._nominal[id(via)] = (via, bool(via) and all(s.nominal for s in via))
        return found[1]

    def _instruct_tokenizer(self, serves: tuple[Serve, ...]) -> str | None:
        """vLLM takes the chat template from the tokenizer, so `--tokenizer <an instruct repo>` gives a base
        model that repo's chat template."""
        for serve in serves:
            if serve.tokenizer and self.classify(serve.tokenizer).chat_capable:
                return f"--tokenizer {serve.tokenizer} (an instruct tokenizer brings its chat template)"
        return None

    # ---- the finding builder ----------------------------------------------------------------------

    def finding(self, rule: RuleMeta, use: BaseUse, message: str, *, severity: Severity | None = None,
                less_sure: bool = False, evidence: tuple[str, ...] = (),
                temperature: float | None = None, related: tuple[Related, ...] = ()) -> Finding:
        """A finding about a base-model use: the rule's default severity unless given, the use's confidence
        (one step lower when `less_sure`), the use's evidence followed by `evidence`, the use's related
        places followed by `related`, and the temperature of the use unless the rule names one."""
        site = use.site
        return Finding(
            rule=rule.code, name=rule.name, severity=severity or rule.severity,
            confidence=lower_confidence(use.confidence) if less_sure else use.confidence,  # type: ignore[arg-type]
            path=site.location.path, line=site.location.line, column=site.location.column,
            message=message, model=use.model, model_kind=use.classification.kind,
            evidence=list(dict.fromkeys((*use.evidence, *evidence))),
            api=site.api, temperature=temperature if temperature is not None else site.temperature,
            messages=site.messages, prompt=site.prompt, chat_template=use.template, fix=use.fix,
            context=site.context,  # type: ignore[arg-type]
            related=tuple(r for r in dict.fromkeys((*use.related, *related))
                          if (r.path, r.line, r.column) != (site.location.path, site.location.line,
                                                            site.location.column)),
        )

    def finding_at(self, rule: RuleMeta, path: str, line: int, column: int, message: str) -> Finding:
        """A finding about a place rather than a model use (a suppression comment): certain, no evidence."""
        return Finding(rule=rule.code, name=rule.name, severity=rule.severity, confidence="high", path=path,
                       line=line, column=column, message=message, model="", model_kind="", evidence=[], api=None)


_SERVER_APIS = frozenset({"chat", "completion"})


def _unbound_name(linked: LinkedRequest) -> str:
    """Why the model name of a request to a server is only a guess, or "": a name without an organisation
    (`llama3.2-1B`, `qwen2.5-7b`) that no launch in the project serves may be the alias a server gives
    another model (llama.cpp's `--alias`, an Ollama tag, `--served-model-name` elsewhere). Offline engines
    load the name itself, and an Ollama tag (`llama3:text`) carries its own convention: neither is a guess."""
    request = linked.request
    if linked.via or request.api not in _SERVER_APIS or linked.candidates:
        return ""
    name = linked.model.strip()
    if "/" in name or "\\" in name or ":" in name or name.startswith((".", "~")) or name.lower().endswith(".gguf"):
        return ""
    return (f"`{name}` names no organisation and no launch in the project serves it: it may be the alias a "
            "server gives another model (llama.cpp `--alias`, an Ollama tag, `--served-model-name`), so the "
            "name alone is a guess (low confidence)")


def _related(label: str, location: Location | None) -> tuple[Related, ...]:
    """A related place for a finding, when the fact knows where it is."""
    return (Related(label, location.path, location.line, location.column),) if location is not None else ()


def _model_line(model: str, value: Value, location: Location | None) -> str:
    """The evidence line that says where a model name came from."""
    note = f" ({value.note})" if value.note else ""
    where = f" at {location}" if location else ""
    return f"model `{model}`{note}{where}"
