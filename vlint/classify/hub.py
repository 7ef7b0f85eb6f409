"""Opt-in Hugging Face Hub metadata: the model tree says what a re-upload or fine-tune really is.

Used only when classification runs with `online=True`. One `HfApi().model_info(id, expand=[...])` call
per model (cached on disk, see `vlint.cache`), then the lineage is walked through `base_model` /
`base_model_relation`: quantized and adapter children inherit the parent's kind; a fine-tune of a base by
the same org is the instruct model; merges are chat if any parent is. `HF_ENDPOINT`, `HF_TOKEN` and
`HF_HUB_OFFLINE` are honoured at call time. Anything that goes wrong (offline, gated, missing, timeouts)
leaves the offline answer in place with a note: never a crash. The token is handed to huggingface_hub
only; it is never stored, logged or put into evidence.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from vlint.cache import HubCache
from vlint.classify.names import (
    CHAT_KINDS,
    CONFIDENCE_LEVELS,
    RELATIONS,
    Classification,
    cap_confidence,
    classify_name,
)
from vlint.classify.reference import parse_reference

MAX_DEPTH = 5


DEFAULT_TIMEOUT_S = 10.0


EXPAND = ["cardData", "tags", "config", "baseModels", "siblings", "pipeline_tag", "sha"]


_PRETRAINING_HINTS = (
    "continued-pretraining",
    "continued pretraining",
    "pretraining",
    "pretrained",
    "base-model",
    "long-context-base",
)


_CHAT_CARD_TAGS = ("instruct", "chat", "conversational-ai", "rlhf", "dpo", "sft", "reasoning")


@dataclass(frozen=True)
class HubRecord:
    """What vlint keeps from one `model_info` answer (JSON-safe, token-free: this goes to the cache)."""

    id: str
    status: str = "ok"  # ok | missing | gated
    sha: str | None = None
    author: str | None = None
    parents: tuple[str, ...] = ()
    relation: str | None = None
    relation_source: str | None = None
    tags: tuple[str, ...] = ()
    card_tags: tuple[str, ...] = ()
    pipeline_tag: str | None = None
    has_chat_template: bool = False
    quantized: bool = False
    is_adapter: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["parents"] = list(self.parents)
        data["tags"] = list(self.tags)
        data["card_tags"] = list(self.card_tags)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HubRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("parents", "tags", "card_tags"):
            known[key] = tuple(known.get(key) or ())
        return cls(**known)


# Endpoints that failed to answer in this process, with when: one unreachable Hub must not cost a timeout
# per model in a scan. The only run-time state in vlint's classifier; `forget_failures` resets it.
_UNREACHABLE: dict[str, float] = {}


UNREACHABLE_RETRY_S = 300.0


def forget_failures() -> None:
    """Let the next lookup try an endpoint that failed earlier in this process."""
    _UNREACHABLE.clear()


def _endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


class HubUnavailable(Exception):
    """The Hub could not answer for this model; the message is safe to show (no token, no headers)."""


def offline_reason() -> str | None:
    """Why the Hub must not be contacted now, read at call time (huggingface_hub reads it at import)."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"{var} is set"
    return None


def _timeout() -> float:
    try:
        return float(os.environ.get("VLINT_HUB_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def fetch_record(model_id: str, revision: str | None = None, *, cache: HubCache | None = None) -> HubRecord:
    """One model's Hub metadata, from the cache or one `model_info` call. Raises `HubUnavailable`."""
    cache = cache or HubCache.default()
    cached = cache.get(model_id, revision)
    if cached is not None:
        return HubRecord.from_json(cached)
    reason = offline_reason()
    if reason:
        raise HubUnavailable(f"{reason}: the Hub was not consulted")
    failed_at = _UNREACHABLE.get(_endpoint())
    if failed_at is not None and time.monotonic() - failed_at < UNREACHABLE_RETRY_S:
        raise HubUnavailable("the Hub did not answer earlier in this run; not asked again")
    record = _query(model_id, revision)
    if record.status in ("ok", "missing"):
        cache.put(model_id, revision, record.to_json())
    return record


def _query(model_id: str, revision: str | None) -> HubRecord:
    try:
        from huggingface_hub import HfApi
    except ImportError as exc:  # a declared dependency, but a broken install must not crash a scan
        raise HubUnavailable(f"huggingface_hub is not importable ({exc.__class__.__name__})") from None
    try:
        from huggingface_hub import errors as hf_errors
    except ImportError:  # huggingface_hub < 0.24 kept them in utils
        from huggingface_hub import utils as hf_errors  # type: ignore[no-redef]

    endpoint = os.environ.get("HF_ENDPOINT") or None
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN") or None
    api = HfApi(endpoint=endpoint, token=token)
    try:
        info = api.model_info(model_id, revision=revision, timeout=_timeout(), expand=EXPAND)  # type: ignore[arg-type]
    except hf_errors.GatedRepoError:
        return HubRecord(id=model_id, status="gated")
    except (hf_errors.RepositoryNotFoundError, hf_errors.RevisionNotFoundError):
        return HubRecord(id=model_id, status="missing")
    except Exception as exc:  # offline mode, DNS, refused connections, timeouts, 5xx: all mean "no answer"
        _UNREACHABLE[_endpoint()] = time.monotonic()
        raise HubUnavailable(f"the Hub did not answer ({exc.__class__.__name__})") from None
    return record_from_model_info(info, model_id)


def record_from_model_info(info: Any, asked: str) -> HubRecord:
    """Extract lineage and the weak signals from a `ModelInfo` (huggingface_hub 0.24 to 2.x shapes)."""
    card = getattr(info, "card_data", None)
    card_dict: dict[str, Any] = {}
    if card is not None:
        card_dict = card.to_dict() if hasattr(card, "to_dict") else dict(vars(card))
    tags = tuple(str(t) for t in (getattr(info, "tags", None) or ()))
    config = getattr(info, "config", None) or {}
    siblings = [getattr(s, "rfilename", "") for s in (getattr(info, "siblings", None) or ())]

    parents: list[str] = []
    relation: str | None = None
    source: str | None = None
    raw_base = card_dict.get("base_model")
    if isinstance(raw_base, str):
        parents = [raw_base]
    elif isinstance(raw_base, list):
        parents = [str(p) for p in raw_base if p]
    if card_dict.get("base_model_relation") in RELATIONS:
        relation, source = card_dict["base_model_relation"], "the model card's base_model_relation"

    base_models = getattr(info, "base_models", None)
    if base_models is None:
        base_models = vars(info).get("baseModels")
    if isinstance(base_models, dict):
        models = [m.get("id") for m in base_models.get("models") or () if isinstance(m, dict) and m.get("id")]
        parents = parents or models
        if relation is None and base_models.get("relation") in RELATIONS:
            relation, source = base_models["relation"], "the Hub's baseModels relation"
    elif isinstance(base_models, list):
        parents = parents or [m if isinstance(m, str) else m.get("id", "") for m in base_models if m]

    for tag in tags:
        if tag.startswith("base_model:") and tag.count(":") >= 2:
            tag_relation, _, parent = tag[len("base_model:") :].partition(":")
            if tag_relation in RELATIONS:
                parents = parents or [parent]
                if relation is None:
                    relation, source = tag_relation, f"the Hub tag '{tag}'"

    quant = isinstance(config, dict) and bool(config.get("quantization_config"))
    quantized = quant or "gguf" in tags or any(f.endswith(".gguf") for f in siblings)
    is_adapter = "adapter_config.json" in siblings or (isinstance(config, dict) and bool(config.get("peft")))
    tokenizer_config = config.get("tokenizer_config") if isinstance(config, dict) else None
    has_template = bool(isinstance(tokenizer_config, dict) and tokenizer_config.get("chat_template")) or any(
        f.endswith("chat_template.jinja") or f == "chat_template.json" for f in siblings
    )
    card_tags = card_dict.get("tags") or ()
    return HubRecord(
        id=str(getattr(info, "id", None) or asked),
        sha=getattr(info, "sha", None),
        author=getattr(info, "author", None),
        parents=tuple(p for p in parents if p),
        relation=relation,
        relation_source=source,
        tags=tags,
        card_tags=tuple(str(t) for t in card_tags) if isinstance(card_tags, list) else (),
        pipeline_tag=getattr(info, "pipeline_tag", None),
        has_chat_template=has_template,
        quantized=quantized,
        is_adapter=is_adapter,
    )


@dataclass(frozen=True)
class _Answer:
    kind: str
    confidence: str
    evidence: tuple[str, ...]
    sibling: str | None = None


def _org(model_id: str) -> str:
    return model_id.partition("/")[0].lower() if "/" in model_id else ""


def _resolve(
    model_id: str, revision: str | None, depth: int, seen: frozenset[str], cache: HubCache
) -> _Answer:
    """Classify one model: the curated name if it is sure, else its Hub record and its parents."""
    by_name = classify_name(model_id)
    if by_name.confidence == "high":
        return _Answer(by_name.kind, by_name.confidence, by_name.evidence[-1:], by_name.sibling)
    try:
        record = fetch_record(model_id, revision, cache=cache)
    except HubUnavailable as exc:
        return _Answer(by_name.kind, by_name.confidence, (*by_name.evidence[-1:], f"Hub: {model_id}: {exc}"))
    if record.status != "ok":
        what = (
            "is gated (its metadata needs accepted terms or a token)"
            if record.status == "gated"
            else "was not found on the Hub (private, renamed or a local name)"
        )
        return _Answer(by_name.kind, by_name.confidence, (*by_name.evidence[-1:], f"Hub: {model_id} {what}"))
    if record.id.lower() != model_id.lower():
        canonical = classify_name(record.id)
        if canonical.confidence == "high":
            return _Answer(
                canonical.kind,
                canonical.confidence,
                (f"Hub: {model_id} is now {record.id}", canonical.evidence[-1]),
                canonical.sibling,
            )
        by_name = canonical if canonical.kind != "unknown" else by_name
    return _from_record(record, by_name, depth, seen | {model_id.lower()}, cache)


def _from_record(
    record: HubRecord, by_name: Classification, depth: int, seen: frozenset[str], cache: HubCache
) -> _Answer:
    parents = [p for p in record.parents if p.lower() not in seen]
    relation = record.relation
    if parents and relation is None:
        relation = "quantized" if record.quantized else "adapter" if record.is_adapter else "finetune"
        source = "inferred from the repo's files (the Hub's default)"
    else:
        source = record.relation_source or "the model card"
    if not parents or depth >= MAX_DEPTH:
        return _root_answer(record, by_name, depth)

    parent_answers = [(p, _resolve(p, None, depth + 1, seen, cache)) for p in parents[:4]]
    first, answer = parent_answers[0]
    link = f"Hub lineage: {record.id} is a {relation} of {first} ({source})"
    if relation in ("quantized", "adapter"):
        if answer.kind == "unknown":
            return _root_answer(record, by_name, depth, extra=(link, *answer.evidence))
        mismatch = ()
        if by_name.kind not in ("unknown", answer.kind):
            mismatch = (
                f"the name suggests {by_name.kind}, but a {relation} copy has its parent's label: "
                "trusting the lineage",
            )
        return _Answer(answer.kind, answer.confidence, (link, *answer.evidence, *mismatch), answer.sibling)
    if relation == "merge":
        chat = [(p, a) for p, a in parent_answers if a.kind in CHAT_KINDS]
        names = ", ".join(p for p, _ in parent_answers)
        if chat:
            return _Answer(
                "instruct",
                "medium",
                (
                    f"Hub lineage: {record.id} is a merge of {names}; {chat[0][0]} is chat-tuned, "
                    "so the merge is treated as chat",
                    *chat[0][1].evidence,
                ),
            )
        if parent_answers and all(a.kind == "base" for _, a in parent_answers):
            return _Answer(
                "base", "medium", (f"Hub lineage: {record.id} is a merge of base models ({names})",)
            )
        return _root_answer(
            record, by_name, depth, extra=(f"Hub lineage: {record.id} is a merge of {names}",)
        )
    # finetune
    if answer.kind in CHAT_KINDS or answer.kind == "other":
        return _Answer(
            answer.kind,
            "medium",
            (link, *answer.evidence, f"a fine-tune of a {answer.kind} model stays {answer.kind}"),
        )
    if answer.kind == "base":
        hints = " ".join(record.tags + record.card_tags).lower()
        if by_name.kind == "base" or any(h in hints for h in _PRETRAINING_HINTS):
            return _Answer(
                "base",
                "medium",
                (link, *answer.evidence, "its name or tags say base/pretraining: continued pretraining"),
            )
        if _org(record.id) == _org(first):
            return _Answer(
                "instruct",
                "high",
                (
                    link,
                    *answer.evidence,
                    "a fine-tune of its own org's base model is that org's post-trained release",
                ),
            )
        return _Answer(
            "instruct",
            "medium",
            (link, *answer.evidence, "a third-party fine-tune of a base model is usually chat-tuned"),
        )
    return _root_answer(record, by_name, depth, extra=(link, *answer.evidence))


def _root_answer(
    record: HubRecord, by_name: Classification, depth: int, extra: tuple[str, ...] = ()
) -> _Answer:
    """No usable parent: the name's answer, then the author's tags; `conversational` alone decides nothing."""
    notes = list(extra)
    if not record.parents:
        notes.append(f"Hub: {record.id} declares no base_model (an original release)")
    elif depth >= MAX_DEPTH:
        notes.append(f"Hub: stopped following the model tree at depth {MAX_DEPTH}")
    if record.has_chat_template or "conversational" in record.tags:
        notes.append(
            "Hub: it has a chat template / the `conversational` tag, which base models have too "
            "(not tuning evidence)"
        )
    if by_name.kind != "unknown":
        return _Answer(by_name.kind, by_name.confidence, (*by_name.evidence[-1:], *notes))
    card_tags = [t.lower() for t in record.card_tags]
    chat_tags = [t for t in card_tags if t in _CHAT_CARD_TAGS]
    if chat_tags:
        kind = "reasoning" if "reasoning" in chat_tags else "instruct"
        return _Answer(kind, "low", (*notes, f"Hub: the author tagged it {', '.join(chat_tags)}"))
    if any(t in ("base", "pretrained", "base-model") for t in card_tags):
        return _Answer("base", "low", (*notes, "Hub: the author tagged it as a base/pretrained model"))
    return _Answer("unknown", "low", (*notes, "Hub: nothing in its metadata says base or chat"))


def refine(text: str, by_name: Classification, *, cache: HubCache | None = None) -> Classification:
    """The online step: ask the Hub about the repo the reference names and walk its model tree."""
    ref = parse_reference(text)
    if ref.problem or ref.ollama_tag is not None or (ref.is_path and not ref.exact_path):
        return by_name  # not a Hub id: nothing to ask
    repo_id = ref.repo_id or ref.full_id
    if "/" not in repo_id and by_name.normalized and "/" in by_name.normalized:
        repo_id = by_name.normalized
    cache = cache or HubCache.default()
    answer = _resolve(repo_id, ref.revision, 0, frozenset(), cache)
    if answer.kind == by_name.kind and CONFIDENCE_LEVELS.index(answer.confidence) <= CONFIDENCE_LEVELS.index(
        by_name.confidence
    ):
        return replace(
            by_name,
            evidence=by_name.evidence + tuple(e for e in answer.evidence if e not in by_name.evidence),
        )
    sibling = (answer.sibling or by_name.sibling) if answer.kind == "base" else None
    evidence = (*ref.notes, *answer.evidence)
    return replace(
        by_name,
        kind=answer.kind,
        confidence=cap_confidence(answer.confidence, "high"),
        evidence=evidence,
        sibling=sibling,
    )
