"""The model knowledge of `rules/models.yaml`, compiled: curated ids, families and their naming rules.

All model knowledge lives in `rules/models.yaml`; this module turns it into patterns and lookup tables once
per run, checking it on the way (a broken file is an installation error, `DataError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vlint import knowledge

DATA_FILE = "models.yaml"


SOURCE = "rules/models.yaml"


_DATA_KINDS = frozenset({"base", "instruct", "reasoning", "other"})


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
class Family:
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
class Knowledge:
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
    families: tuple[Family, ...]
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


def _build_knowledge(data: dict[str, Any]) -> Knowledge:
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
            Family(
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
    return Knowledge(
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
def load_knowledge() -> Knowledge:
    return _build_knowledge(knowledge.load_data(DATA_FILE))
