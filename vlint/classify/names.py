"""Classification from the reference text alone: curated ids, family naming rules, generic name tokens.

Pure, offline and memoised (`classify_name`): the name is normalised (`reference`), looked up in the
curated knowledge, run through the per-family naming rules and finally the generic name tokens. A chat
template never makes a model instruct: nothing here treats one as tuning evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from vlint.classify.data import SOURCE, Family, Knowledge, load_knowledge
from vlint.classify.reference import Reference, parse_reference

KINDS: tuple[str, ...] = ("base", "instruct", "reasoning", "other", "unknown")


CHAT_KINDS: frozenset[str] = frozenset({"instruct", "reasoning"})


CONFIDENCE_LEVELS: tuple[str, ...] = ("low", "medium", "high")
# How a model derives from its parent, as the Hub's model tree and model cards say it.
RELATIONS = ("quantized", "adapter", "merge", "finetune")


@dataclass(frozen=True)
class Classification:
    """What a model reference is, how sure we are, and why."""

    model: str
    normalized: str
    kind: str
    confidence: str
    evidence: tuple[str, ...]
    sibling: str | None

    @property
    def chat_capable(self) -> bool:
        return self.kind in CHAT_KINDS


@dataclass(frozen=True)
class _Verdict:
    kind: str
    confidence: str
    reason: str
    canonical: str | None = None  # the curated id, when the curated table decided
    family: Family | None = None
    notes: tuple[str, ...] = field(default=())


def _lookup_curated(kb: Knowledge, ref: Reference) -> _Verdict | None:
    ids: list[str] = []
    for candidate in (ref.full_id, ref.id):
        if candidate not in ids:
            ids.append(candidate)
    for model_id in list(ids):
        for rename in kb.renames:
            if rename.match.search(model_id):
                ids.append(rename.match.sub(rename.replace, model_id, count=1))
    for model_id in ids:
        hit = kb.curated.get(model_id.lower())
        if hit:
            return _curated_verdict(hit, "high")
    names: list[str] = []
    for name in (ref.full_name, ref.name):
        names.append(name)
        names.extend(r.match.sub(r.replace, name, count=1) for r in kb.renames if r.match.search(name))
    for name in names:
        hits = kb.curated_by_name.get(name.lower())
        if hits and len({kind for _, kind in hits}) == 1:
            trusted = (
                ref.org is None or ref.org.lower() in kb.mirror_orgs or (ref.is_path and not ref.exact_path)
            )
            verdict = _curated_verdict(hits[0], "high" if trusted else "medium")
            if not trusted:
                verdict = replace(
                    verdict,
                    notes=(
                        f"'{ref.org}' is not {hits[0][0].split('/')[0]}: assuming a re-upload of the same model",
                    ),
                )
            return verdict
    return None


def _curated_verdict(hit: tuple[str, str], confidence: str) -> _Verdict:
    model_id, kind = hit
    return _Verdict(
        kind, confidence, f"curated knowledge: {model_id} is {_article(kind)} ({SOURCE})", canonical=model_id
    )


def _article(kind: str) -> str:
    return {
        "base": "a base (pretrained-only) model",
        "instruct": "an instruction-tuned (chat) model",
        "reasoning": "a reasoning (chat) model",
        "other": "not a general chat or base LLM (classifier, reward, embedding or draft model)",
    }.get(kind, kind)


def _by_family(kb: Knowledge, name: str) -> _Verdict | None:
    for fam in kb.families:
        if not fam.match.search(name):
            continue
        for rule in fam.rules:
            if rule.match.search(name):
                why = rule.why.replace("{name}", name)
                return _Verdict(
                    rule.kind, "medium", f"family rule '{fam.name}': {why} ({SOURCE})", family=fam
                )
    return None


def _by_generic_tokens(kb: Knowledge, name: str) -> _Verdict | None:
    tokens = re.sub(r"[_.\s]+", "-", name.lower())
    reasoning = kb.generic_reasoning.search(tokens)
    if reasoning:
        return _Verdict(
            "reasoning",
            "low",
            f"name token '{reasoning.group(0)}' suggests a reasoning model ({SOURCE}, generic tokens)",
        )
    chat_base = [m.span() for m in kb.generic_chat_base.finditer(tokens)]
    instruct = [m for m in kb.generic_instruct.finditer(tokens)]
    base = [
        m
        for m in kb.generic_base.finditer(tokens)
        if not any(start <= m.start() < end for start, end in chat_base)
    ]
    if not instruct and not base:
        weak = kb.generic_weak_base.search(tokens)
        if weak is None:
            return None
        return _Verdict(
            "base", "low", f"name token '{weak.group(0)}' suggests a base model ({SOURCE}, generic tokens)"
        )
    last_instruct = max((m.start() for m in instruct), default=-1)
    last_base = max((m.start() for m in base), default=-1)
    if last_instruct > last_base:
        token = next(m.group(0) for m in instruct if m.start() == last_instruct)
        return _Verdict(
            "instruct",
            "low",
            f"name token '{token}' suggests a chat/instruction-tuned model ({SOURCE}, generic tokens)",
        )
    token = next(m.group(0) for m in base if m.start() == last_base)
    after = " after a chat token" if instruct else ""
    return _Verdict(
        "base", "low", f"name token '{token}'{after} suggests a base model ({SOURCE}, generic tokens)"
    )


def _by_ollama(kb: Knowledge, ref: Reference) -> _Verdict:
    tag = ref.ollama_tag or ""
    name = ref.name
    # Reasoning models and classifiers keep their nature whatever the tag says.
    combined = f"{name}-{tag}" if tag else name
    special = _by_family(kb, combined)
    if special and special.kind in ("reasoning", "other"):
        return replace(special, notes=("Ollama conventions do not change what this model is",))
    if tag and kb.ollama_base_tag.search(tag):
        return _Verdict(
            "base",
            "medium",
            f"Ollama tag '{tag}' selects the pretrained model (`text`/`base` tags; ollama#6600)",
        )
    short = name.rpartition("/")[2]
    for rule in kb.ollama_rules:
        if rule.name.search(short) and rule.tag.search(tag):
            return _Verdict(rule.kind, "medium", f"Ollama convention: {rule.why.replace('{name}', short)}")
    return _Verdict(
        "instruct",
        "medium",
        f"Ollama tag '{tag or 'latest'}' has no `text`/`base`: Ollama's default tags are the "
        "instruct models (ollama#6600)",
    )


def _decide(kb: Knowledge, ref: Reference) -> _Verdict:
    if ref.problem:
        return _Verdict("unknown", "low", f"'{ref.raw}' is {ref.problem}")
    if ref.ollama_tag is not None:
        return _by_ollama(kb, ref)
    if ref.is_path and not ref.exact_path and kb.meaningless.match(ref.name):
        return _Verdict(
            "unknown",
            "low",
            f"the path ends in '{ref.name}', which names a training output, not a model: "
            "only the folder's files can tell",
        )
    verdict = _lookup_curated(kb, ref) or _by_family(kb, ref.name) or _by_generic_tokens(kb, ref.name)
    if verdict is None:
        return _Verdict(
            "unknown", "low", f"no curated entry, family rule or name token matches '{ref.id}' ({SOURCE})"
        )
    if ref.is_path and not ref.exact_path:
        lower = CONFIDENCE_LEVELS[max(0, CONFIDENCE_LEVELS.index(verdict.confidence) - 1)]
        verdict = replace(
            verdict,
            confidence=lower,
            notes=verdict.notes + ("the name comes from a filesystem path, so it is weaker evidence",),
        )
    return verdict


def _sibling(kb: Knowledge, ref: Reference, verdict: _Verdict) -> str | None:
    """The instruct twin of a base model, from the curated table or the family's rewrite rules."""
    if verdict.kind != "base":
        return None
    if ref.ollama_tag is not None:
        tag = ref.ollama_tag
        for rewrite in kb.ollama_sibling_tag:
            tag = rewrite.match.sub(rewrite.replace, tag)
        tag = tag.strip("-")
        candidate = f"{ref.id}:{tag}" if tag else ref.id
        return candidate if _decide(kb, parse_reference(candidate)).kind in CHAT_KINDS else None
    if verdict.canonical and verdict.canonical.lower() in kb.siblings:
        return kb.siblings[verdict.canonical.lower()]
    name = verdict.canonical.rpartition("/")[2] if verdict.canonical else ref.name
    families = [verdict.family] if verdict.family else [f for f in kb.families if f.match.search(name)]
    for fam in families:
        for rewrite in fam.siblings:
            if not rewrite.match.search(name):
                continue
            new_name = rewrite.match.sub(rewrite.replace, name, count=1)
            org = rewrite.org or fam.org or (None if ref.is_path else ref.org)
            candidate = f"{org}/{new_name}" if org else new_name
            hit = kb.curated.get(candidate.lower())
            if hit:
                return hit[0] if hit[1] in CHAT_KINDS else None
            check = _decide(kb, parse_reference(candidate))
            return candidate if check.kind in CHAT_KINDS else None
    return None


def cap_confidence(confidence: str, cap: str) -> str:
    """`confidence`, but no higher than `cap`."""
    return CONFIDENCE_LEVELS[min(CONFIDENCE_LEVELS.index(confidence), CONFIDENCE_LEVELS.index(cap))]


@lru_cache(maxsize=8192)
def classify_name(model: str) -> Classification:
    """Classify from the reference text alone: pure, offline and memoised."""
    kb = load_knowledge()
    ref = parse_reference(model)
    verdict = _decide(kb, ref)
    if verdict.canonical:
        normalized = verdict.canonical
    elif ref.problem:
        normalized = model.strip() if isinstance(model, str) else ""
    elif ref.is_path and not ref.exact_path:
        normalized = ref.name  # the parent folder of a path is not an org
    else:
        normalized = ref.display
    evidence = (*ref.notes, *verdict.notes, verdict.reason)
    return Classification(
        model=model,
        normalized=normalized,
        kind=verdict.kind,
        confidence=verdict.confidence,
        evidence=evidence,
        sibling=_sibling(kb, ref, verdict),
    )
