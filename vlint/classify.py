"""Classify a model reference: base, instruct, reasoning, other or unknown, with evidence.

The order follows research/models.md §3: user overrides win; then a local model folder's own files
(when the reference is a path that exists); then the name: normalised, looked up in the curated
knowledge, run through the per-family naming rules and finally the generic name tokens; then, only when
asked (`online=True`), the Hugging Face Hub's lineage metadata. All model knowledge lives in
`rules/models.yaml`; this module is the engine that reads it. A chat template never makes a model
instruct: nothing here treats one as tuning evidence.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from vlint import knowledge

KINDS: tuple[str, ...] = ("base", "instruct", "reasoning", "other", "unknown")
CHAT_KINDS: frozenset[str] = frozenset({"instruct", "reasoning"})
CONFIDENCE_LEVELS: tuple[str, ...] = ("low", "medium", "high")
DATA_FILE = "models.yaml"
SOURCE = "rules/models.yaml"

_DATA_KINDS = frozenset({"base", "instruct", "reasoning", "other"})


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
class ModelOverride:
    """A user's declaration from config: models matching `pattern` are of `kind`, whatever else says."""

    pattern: str
    kind: str
    source: str


# ---------------------------------------------------------------------------------------------------
# The compiled knowledge
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    match: re.Pattern[str]
    kind: str
    why: str


@dataclass(frozen=True)
class _Rewrite:
    match: re.Pattern[str]
    replace: str
    org: str | None = None


@dataclass(frozen=True)
class _Family:
    name: str
    match: re.Pattern[str]
    org: str | None
    rules: tuple[_Rule, ...]
    siblings: tuple[_Rewrite, ...]


@dataclass(frozen=True)
class _Prefix:
    prefix: str
    only_with_org: bool
    ollama: bool


@dataclass(frozen=True)
class _OllamaRule:
    name: re.Pattern[str]
    tag: re.Pattern[str]
    kind: str
    why: str


@dataclass(frozen=True)
class _Knowledge:
    prefixes: tuple[_Prefix, ...]
    file_extension: re.Pattern[str]
    shard_suffix: re.Pattern[str]
    format_suffix: re.Pattern[str]
    mirror_orgs: frozenset[str]
    org_prefixed_mirrors: frozenset[str]
    known_orgs: frozenset[str]
    renames: tuple[_Rewrite, ...]
    meaningless: re.Pattern[str]
    dotted_vendor: re.Pattern[str]
    ollama_library: re.Pattern[str]
    ollama_base_tag: re.Pattern[str]
    ollama_rules: tuple[_OllamaRule, ...]
    ollama_sibling_tag: tuple[_Rewrite, ...]
    curated: dict[str, tuple[str, str]]  # lower id -> (canonical id, kind)
    curated_by_name: dict[str, tuple[tuple[str, str], ...]]  # lower name -> ((id, kind), ...)
    siblings: dict[str, str | None]  # lower id -> sibling id
    families: tuple[_Family, ...]
    generic_reasoning: re.Pattern[str]
    generic_instruct: re.Pattern[str]
    generic_base: re.Pattern[str]
    generic_weak_base: re.Pattern[str]
    generic_chat_base: re.Pattern[str]


class DataError(ValueError):
    """rules/models.yaml is broken: an installation error, never swallowed as one odd model name."""


class _Lazy:
    """A pattern of the data, compiled the first time it is used: a run compiles only what the names it
    meets need (a family's rules once a name is of that family), where compiling all 288 of them was
    ~0.1 s of a one-file pre-commit run. tests/test_classify.py compiles every one."""

    __slots__ = ("source", "where", "_compiled")

    def __init__(self, source: str, where: str) -> None:
        self.source, self.where = source, where
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            try:
                self._compiled = re.compile(self.source, re.IGNORECASE)
            except re.error as exc:
                raise DataError(f"{SOURCE}: bad regular expression in {self.where}: {self.source!r}: {exc}") from exc
        return self._compiled

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled().search(text)

    def match(self, text: str) -> re.Match[str] | None:
        return self.compiled().match(text)

    def sub(self, replacement: str, text: str, count: int = 0) -> str:
        return self.compiled().sub(replacement, text, count=count)

    def __getattr__(self, name: str) -> Any:  # the rest of re.Pattern's interface (finditer, ...)
        return getattr(self.compiled(), name)


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    return _Lazy(pattern, where)  # type: ignore[return-value]  # the methods used of a Pattern


def _check_kind(kind: Any, where: str) -> str:
    if kind not in _DATA_KINDS:
        raise ValueError(f"{SOURCE}: {where} has kind {kind!r}; expected one of {sorted(_DATA_KINDS)}")
    return str(kind)


def _rewrites(items: Any, where: str) -> tuple[_Rewrite, ...]:
    return tuple(
        _Rewrite(_compile(item["match"], where), str(item["replace"]), item.get("org"))
        for item in items or ()
    )


def _build_knowledge(data: dict[str, Any]) -> _Knowledge:
    """Turn the YAML into compiled patterns and lookup tables, checking it on the way."""
    curated: dict[str, tuple[str, str]] = {}
    by_name: dict[str, list[tuple[str, str]]] = {}
    orgs: set[str] = {o.lower() for o in data.get("known_orgs") or ()}
    for kind, ids in (data.get("curated") or {}).items():
        _check_kind(kind, "curated")
        for model_id in ids or ():
            curated[model_id.lower()] = (model_id, kind)
            org, _, name = model_id.rpartition("/")
            by_name.setdefault(name.lower(), []).append((model_id, kind))
            if org:
                orgs.add(org.lower())

    families = []
    for fam in data.get("families") or ():
        where = f"family {fam.get('name')!r}"
        rules = tuple(
            _Rule(_compile(r["match"], where), _check_kind(r["kind"], where), str(r.get("why", "")))
            for r in fam.get("rules") or ()
        )
        families.append(
            _Family(
                str(fam["name"]),
                _compile(fam["match"], where),
                fam.get("org"),
                rules,
                _rewrites(fam.get("siblings"), where),
            )
        )
        if fam.get("org"):
            orgs.add(str(fam["org"]).lower())

    ollama = data.get("ollama") or {}
    generic = data.get("generic") or {}
    suffixes = "|".join(f"(?:{s})" for s in data.get("format_suffixes") or ())
    extensions = "|".join(re.escape(e) for e in data.get("file_extensions") or ())
    return _Knowledge(
        prefixes=tuple(
            _Prefix(p["prefix"], bool(p.get("only_with_org")), bool(p.get("ollama")))
            for p in data.get("provider_prefixes") or ()
        ),
        file_extension=_compile(rf"\.(?:{extensions})$", "file_extensions"),
        shard_suffix=_compile(data.get("shard_suffix", r"(?!x)x"), "shard_suffix"),
        format_suffix=_compile(rf"[-_. ](?:{suffixes})$", "format_suffixes"),
        mirror_orgs=frozenset(o.lower() for o in data.get("mirror_orgs") or ()),
        org_prefixed_mirrors=frozenset(o.lower() for o in data.get("org_prefixed_mirrors") or ()),
        known_orgs=frozenset(orgs),
        renames=tuple(
            _Rewrite(_compile(r["from"], "renames"), str(r["to"])) for r in data.get("renames") or ()
        ),
        meaningless=_compile(data.get("meaningless_names", r"(?!x)x"), "meaningless_names"),
        dotted_vendor=_compile(data.get("dotted_vendor_prefix", r"(?!x)x"), "dotted_vendor_prefix"),
        ollama_library=_compile(ollama.get("library_names", r"(?!x)x"), "ollama.library_names"),
        ollama_base_tag=_compile(ollama.get("base_tag", r"(?!x)x"), "ollama.base_tag"),
        ollama_rules=tuple(
            _OllamaRule(
                _compile(r["name"], "ollama.rules"),
                _compile(r["tag"], "ollama.rules"),
                _check_kind(r["kind"], "ollama.rules"),
                str(r.get("why", "")),
            )
            for r in ollama.get("rules") or ()
        ),
        ollama_sibling_tag=_rewrites(ollama.get("sibling_tag_rewrites"), "ollama.sibling_tag_rewrites"),
        curated=curated,
        curated_by_name={k: tuple(v) for k, v in by_name.items()},
        siblings={str(k).lower(): v for k, v in (data.get("siblings") or {}).items()},
        families=tuple(families),
        generic_reasoning=_compile(generic.get("reasoning", r"(?!x)x"), "generic.reasoning"),
        generic_instruct=_compile(generic.get("instruct", r"(?!x)x"), "generic.instruct"),
        generic_base=_compile(generic.get("base", r"(?!x)x"), "generic.base"),
        generic_weak_base=_compile(generic.get("weak_base", r"(?!x)x"), "generic.weak_base"),
        generic_chat_base=_compile(generic.get("chat_base", r"(?!x)x"), "generic.chat_base"),
    )


@lru_cache(maxsize=1)
def _knowledge() -> _Knowledge:
    return _build_knowledge(knowledge.load_data(DATA_FILE))


def clear_caches() -> None:
    """Forget the loaded knowledge and memoised answers (tests that swap `rules/` need this)."""
    knowledge.load_data.cache_clear()
    _knowledge.cache_clear()
    classify_name.cache_clear()
    local = sys.modules.get("vlint.localmodel")
    if local is not None:
        local.clear_caches()


# ---------------------------------------------------------------------------------------------------
# Normalisation: from whatever the user wrote to an org and a name stem
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A model reference taken apart. `name` is the stem that the rules read."""

    raw: str
    org: str | None = None
    name: str = ""
    full_name: str = ""  # the name before the format suffixes were peeled
    repo_id: str | None = None  # the Hub repo as written (mirror org and suffixes kept), for Hub lookups
    ollama_tag: str | None = None  # not None when Ollama's conventions apply
    revision: str | None = None  # an `@revision` the reference pinned
    is_path: bool = False  # taken from a filesystem path: the name is weaker evidence
    exact_path: bool = False  # a path that maps back to a Hub id exactly (HF cache)
    peeled: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    problem: str | None = None  # why this is not a model id at all

    @property
    def id(self) -> str:
        return f"{self.org}/{self.name}" if self.org else self.name

    @property
    def full_id(self) -> str:
        return f"{self.org}/{self.full_name}" if self.org else self.full_name

    @property
    def display(self) -> str:
        if self.ollama_tag is not None:
            return f"{self.id}:{self.ollama_tag}" if self.ollama_tag else self.id
        return self.id


_URL_HF = re.compile(r"^(?:https?://)?(?:www\.)?(?:hf\.co|huggingface\.co)/(.+)$", re.IGNORECASE)
_URL_ANY = re.compile(r"^([a-z][a-z0-9+.-]*)://(.*)$", re.IGNORECASE)
_HF_CACHE = re.compile(r"(?:^|/)models--([^/]+?)--([^/]+?)(?:/|$)")
_OLLAMA_STORE = re.compile(r"registry\.ollama\.ai/(?:library/)?([^/]+(?:/[^/]+)?)/([^/]+)$")
_SNAPSHOT_SHA = re.compile(r"^[0-9a-f]{40}$")
_VALID_CHARS = re.compile(r"^[\w.\-/:@+~ ]+$")


@dataclass
class _Scratch:
    """Mutable state while one reference is normalised; frozen into a `Reference` at the end."""

    text: str
    notes: list[str] = field(default_factory=list)
    is_path: bool = False
    from_hf_url: bool = False
    ollama: bool = False
    org: str | None = None
    name: str = ""
    tag: str | None = None
    revision: str | None = None
    exact_path: bool = False


_STORAGE_SCHEMES = ("s3", "gs", "gcs", "az", "abfs", "abfss", "file", "hdfs", "oci", "pvc")
_URL_PAGE_PARTS = ("tree", "blob", "resolve", "commit", "discussions", "raw", "files")


def parse_reference(raw: str) -> Reference:
    """Normalise a reference (research/models.md §3 step 1). Pure: never touches the filesystem."""
    kb = _knowledge()
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return Reference(raw, problem="an empty model reference")
    if len(text) > 300 or any(ord(c) < 32 for c in text):
        return Reference(raw, problem="not a model id (too long or contains control characters)")
    state = _Scratch(text.replace("\\", "/"))
    problem = _strip_url(state)
    if problem is None and not _VALID_CHARS.match(state.text):
        problem = "not a model id (unexpected characters)"
    if problem is not None:
        return Reference(raw, problem=problem)
    _strip_provider_prefixes(kb, state)

    cache = _HF_CACHE.search(state.text)
    if cache:
        state.org, state.name = cache.group(1), cache.group(2)
        state.is_path = state.exact_path = True
        state.notes.append(f"mapped the Hugging Face cache path to '{state.org}/{state.name}'")
    else:
        store = _OLLAMA_STORE.search(state.text)
        if store:
            state.text = f"{store.group(1)}:{store.group(2)}"
            state.ollama = True
            state.notes.append(f"mapped the Ollama store path to '{state.text}'")
        if not store and _looks_like_path(state):
            problem = _name_from_path(kb, state)
            if problem is not None:
                return Reference(raw, is_path=True, problem=problem)
        else:
            _split_hub_id(kb, state)
            if state.ollama:
                return Reference(
                    raw,
                    org=state.org,
                    name=state.name,
                    full_name=state.name,
                    ollama_tag=(state.tag or "").lower(),
                    notes=tuple(state.notes),
                )
    return _finish(kb, raw, state)


def _strip_url(state: _Scratch) -> str | None:
    """Hub URLs become ids; storage URLs become paths; any other URL is not a model id."""
    url = _URL_HF.match(state.text)
    if url:
        parts = [p for p in url.group(1).split("/") if p]
        for i, part in enumerate(parts):
            if i >= 2 and part in _URL_PAGE_PARTS:
                parts = parts[:i]
                break
        state.text = "/".join(parts[:2])
        state.from_hf_url = True
        state.notes.append("removed the Hugging Face URL prefix")
        return None
    other = _URL_ANY.match(state.text)
    if other is None:
        return None
    scheme = other.group(1).lower()
    if scheme not in _STORAGE_SCHEMES:
        return f"a {scheme} URL, not a model id"
    state.text = "/" + other.group(2).lstrip("/")
    state.is_path = True
    return None


def _strip_provider_prefixes(kb: _Knowledge, state: _Scratch) -> None:
    """`hosted_vllm/`, `together_ai/`, `ollama/`, ... repeatedly; never leaves an empty id."""
    changed = not state.is_path
    while changed:
        changed = False
        for p in kb.prefixes:
            if state.text.lower().startswith(p.prefix.lower()) and len(state.text) > len(p.prefix):
                rest = state.text[len(p.prefix) :]
                if p.only_with_org and "/" not in rest.split(":")[0]:
                    continue
                state.text = rest
                state.ollama = state.ollama or p.ollama
                state.notes.append(f"removed the provider prefix '{p.prefix}'")
                changed = True
                break


def _looks_like_path(state: _Scratch) -> bool:
    text = state.text
    return (
        state.is_path
        or text.startswith(("/", "./", "../", "~"))
        or bool(re.match(r"^[a-zA-Z]:/", text))
        or text.count("/") >= 2
    )


def _name_from_path(kb: _Knowledge, state: _Scratch) -> str | None:
    """The last one or two components of a path; a model file's folder when the file name says nothing."""
    state.is_path = True
    parts = [p for p in state.text.split("/") if p not in ("", ".", "..", "~")]
    while parts and (_SNAPSHOT_SHA.match(parts[-1]) or parts[-1] == "snapshots"):
        parts.pop()
    if not parts:
        return "a path that names no model"
    name, org = parts[-1], (parts[-2] if len(parts) >= 2 else None)
    if kb.file_extension.search(name):
        stem = _strip_file_name(kb, name)
        if not stem or kb.meaningless.match(_peel_format_suffixes(kb, stem)[0]):
            # `…/Qwen2.5-7B-Instruct-GGUF/ggml-model-q4_0.gguf`: the folder names the model
            name = parts[-2] if len(parts) >= 2 else stem
            org = parts[-3] if len(parts) >= 3 else None
        else:
            name = stem
    state.org, state.name = org, name
    state.notes.append(f"took the model name from the path ('{org + '/' if org else ''}{name}')")
    return None


def _split_hub_id(kb: _Knowledge, state: _Scratch) -> None:
    """`org/name@rev`, `org/Repo-GGUF:Q4_K_M`, Ollama `name:tag`, Bedrock `meta.llama3-...-v1:0`."""
    text = state.text
    if "@" in text:
        head, _, pinned = text.rpartition("@")
        if head:
            text, state.revision = head, pinned
            state.notes.append(f"ignored the revision '@{pinned}'")
    if ":" in text:
        head, _, tag_text = text.rpartition(":")
        if head and (
            state.from_hf_url or re.fullmatch(r"\d+", tag_text) or _is_repo_quant_tag(kb, head, tag_text)
        ):
            text = head
            state.notes.append(f"ignored the tag ':{tag_text}' (a quantisation or version tag)")
        elif head:
            text, state.tag, state.ollama = head, tag_text, True
    org, _, name = text.rpartition("/")
    state.org, state.name = org or None, name
    if state.org is None and not state.ollama and kb.ollama_library.match(name):
        state.ollama = True
        state.notes.append("read as an Ollama library name (the bare tag is the instruct model)")
    if state.ollama:
        return
    if state.org is None:
        vendor = kb.dotted_vendor.match(name)
        if vendor:
            name = re.sub(r"-v\d+$", "", name[vendor.end() :])
            state.notes.append(f"removed the vendor prefix '{vendor.group(0)}'")
    if kb.file_extension.search(name):
        name = _strip_file_name(kb, name)
    state.name = name


def _finish(kb: _Knowledge, raw: str, state: _Scratch) -> Reference:
    """Mirror-org name prefixes and the format-suffix chain, then the frozen `Reference`."""
    org, name = state.org, state.name
    repo_id: str | None = f"{org}/{name}" if org else name
    if state.is_path and not state.exact_path:
        repo_id = None  # a folder's parent directory is not a Hub org
    if org and org.lower() in kb.org_prefixed_mirrors and "_" in name:
        prefix, _, rest = name.partition("_")
        if prefix.lower() in kb.known_orgs and rest:
            state.notes.append(f"{org} prefixes the upstream org: read '{prefix}/{rest}'")
            org, name = prefix, rest
    full_name = name
    name, peeled = _peel_format_suffixes(kb, name)
    if peeled:
        state.notes.append(
            f"removed the quantisation/format suffix '-{'-'.join(reversed(peeled))}': "
            "a quantised or converted copy has the label of its source"
        )
    if not name:
        return Reference(raw, problem="no model name left after normalisation", notes=tuple(state.notes))
    return Reference(
        raw,
        org=org,
        name=name,
        full_name=full_name,
        revision=state.revision,
        repo_id=repo_id,
        is_path=state.is_path,
        exact_path=state.exact_path,
        peeled=tuple(peeled),
        notes=tuple(state.notes),
    )


def _is_repo_quant_tag(kb: _Knowledge, head: str, tag: str) -> bool:
    """`org/Repo-GGUF:Q4_K_M` (llama.cpp `-hf`, LM Studio) names a Hub repo and a quant, not an Ollama tag."""
    if "/" not in head:
        return False
    return bool(kb.format_suffix.search("-" + tag)) or bool(kb.format_suffix.search(head))


def _strip_file_name(kb: _Knowledge, name: str) -> str:
    """`Qwen2.5-7B-Instruct-Q4_K_M-00001-of-00002.gguf` -> `Qwen2.5-7B-Instruct-Q4_K_M` (suffixes go later)."""
    stem = kb.file_extension.sub("", name)
    return kb.shard_suffix.sub("", stem)


def _peel_format_suffixes(kb: _Knowledge, name: str) -> tuple[str, list[str]]:
    peeled: list[str] = []
    while True:
        m = kb.format_suffix.search(name)
        if not m or m.start() == 0:
            return name, peeled
        peeled.append(name[m.start() + 1 :])
        name = name[: m.start()]


# ---------------------------------------------------------------------------------------------------
# Classification from the name
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verdict:
    kind: str
    confidence: str
    reason: str
    canonical: str | None = None  # the curated id, when the curated table decided
    family: _Family | None = None
    notes: tuple[str, ...] = field(default=())


def _lookup_curated(kb: _Knowledge, ref: Reference) -> _Verdict | None:
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


def _by_family(kb: _Knowledge, name: str) -> _Verdict | None:
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


def _by_generic_tokens(kb: _Knowledge, name: str) -> _Verdict | None:
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


def _by_ollama(kb: _Knowledge, ref: Reference) -> _Verdict:
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


def _decide(kb: _Knowledge, ref: Reference) -> _Verdict:
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


def _sibling(kb: _Knowledge, ref: Reference, verdict: _Verdict) -> str | None:
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


@lru_cache(maxsize=8192)
def classify_name(model: str) -> Classification:
    """Classify from the reference text alone: pure, offline and memoised."""
    kb = _knowledge()
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


# ---------------------------------------------------------------------------------------------------
# Overrides and the public entry point
# ---------------------------------------------------------------------------------------------------


def _override_for(model: str, normalized: str, overrides: Sequence[ModelOverride]) -> ModelOverride | None:
    candidates = {model.strip().lower(), normalized.lower()}
    for override in overrides:
        pattern = override.pattern.strip().lower()
        if any(c == pattern or fnmatch.fnmatchcase(c, pattern) for c in candidates):
            return override
    return None


def classify(
    model: str, *, overrides: Sequence[ModelOverride] = (), online: bool = False, base_dir: Path | None = None
) -> Classification:
    """Classify a model reference. Never raises on odd input; the network only when `online`."""
    _knowledge()  # a broken rules/models.yaml is an installation error and should surface
    text = model if isinstance(model, str) else ("" if model is None else str(model))
    try:
        by_name = classify_name(text)
    except DataError:
        raise
    except Exception as exc:  # the engine must not take a scan down over one odd string
        by_name = Classification(text, text, "unknown", "low", (f"could not classify {text!r}: {exc}",), None)

    override = _override_for(text, by_name.normalized, overrides)
    if override is not None:
        return _apply_override(by_name, override)

    result = by_name
    try:
        result = _beyond_the_name(text, by_name, online=online, base_dir=base_dir)
    except Exception as exc:  # local files and the Hub are best effort; the name answer stands
        result = replace(by_name, evidence=by_name.evidence + (f"could not read more evidence: {exc}",))
    return result


def _apply_override(by_name: Classification, override: ModelOverride) -> Classification:
    kind = override.kind if override.kind in KINDS else "unknown"
    if override.kind == "chat":
        kind = "instruct"
    evidence = (f"override: '{override.pattern}' declares this model {kind} ({override.source})",)
    sibling = by_name.sibling if kind == "base" else None
    return Classification(
        model=by_name.model,
        normalized=by_name.normalized,
        kind=kind,
        confidence="high",
        evidence=evidence,
        sibling=sibling,
    )


def _beyond_the_name(
    text: str, by_name: Classification, *, online: bool, base_dir: Path | None
) -> Classification:
    """A local model folder's files, then (only when allowed) the Hub, refine the name's answer."""
    from vlint import localmodel

    local = localmodel.classify_local(text, by_name, online=online, base_dir=base_dir)
    if local is not None and local.kind != "unknown":
        return local
    current = local or by_name
    if online and by_name.confidence != "high" and by_name.kind != "other":
        from vlint import hub

        return hub.refine(text, current)
    return current
