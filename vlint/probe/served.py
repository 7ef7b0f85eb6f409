"""What an endpoint serves: its `/v1/models` list, each entry classified with vlint's model knowledge.

vLLM lists each served alias as `id` with `root`, the path or Hub repo the weights were loaded from:
`root` is what says whether the model is base, so it is classified first (a local folder in `root` is
read as the local-model reader reads any folder, when it is readable here; the Hub only with `--online`).
The alias in `id` is whatever the operator chose (`qwen` reads as an Ollama name), so it decides only
when `root` says nothing, and then only towards `base`: an unknown model is probed by chat anyway.
SGLang, TGI, llama.cpp and Ollama list no `root` (or repeat the alias in it): there `id` is all there is,
and the evidence says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vlint.classify import Classification, ModelOverride, classify
from vlint.probe.client import EndpointError

MAX_MODELS = 256
"""Entries read from one `/v1/models` answer; the rest are counted, not classified."""

MAX_NAME = 1024
"""Longer ids or roots are not model names; the entry is skipped with a note."""

PROBED_KINDS = frozenset({"base", "unknown"})


@dataclass(frozen=True)
class ServedModel:
    """One entry of `/v1/models`, with what vlint makes of it."""

    id: str
    root: str | None
    parent: str | None
    max_model_len: int | None
    owned_by: str | None
    kind: str
    confidence: str
    evidence: tuple[str, ...]
    sibling: str | None

    @property
    def probed_by_default(self) -> bool:
        return self.kind in PROBED_KINDS

    @property
    def names(self) -> tuple[str, ...]:
        """How a client may name this model: the alias, and the root when it differs."""
        return tuple(dict.fromkeys(n for n in (self.id, self.root) if n))


@dataclass(frozen=True)
class Listing:
    models: tuple[ServedModel, ...]
    notes: tuple[str, ...] = ()


def _text(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(entry: dict[str, Any], key: str) -> int | None:
    value = entry.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_listing(data: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The usable entries of a `/v1/models` answer, and notes on what was left out."""
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise EndpointError("/models: the answer has no `data` list (not an OpenAI-compatible models list)")
    notes: list[str] = []
    if len(items) > MAX_MODELS:
        notes.append(f"{len(items)} models listed; the first {MAX_MODELS} were read")
    entries: list[dict[str, Any]] = []
    for position, item in enumerate(items[:MAX_MODELS]):
        name = _text(item, "id") if isinstance(item, dict) else None
        root = _text(item, "root") if isinstance(item, dict) else None
        if name is None or len(name) > MAX_NAME or (root is not None and len(root) > MAX_NAME):
            notes.append(f"entry {position} has no usable `id` (or an overlong one); skipped")
            continue
        entries.append(item)
    return entries, notes


def classify_entry(
    entry: dict[str, Any], *, overrides: Sequence[ModelOverride], online: bool, base_dir: Path
) -> ServedModel:
    name = _text(entry, "id") or ""
    root = _text(entry, "root")

    def judge(reference: str) -> Classification:
        return classify(reference, overrides=overrides, online=online, base_dir=base_dir)

    if root is None or root == name:
        cls = judge(name)
        why = "lists no `root`" if root is None else "lists the served name as `root`"
        evidence = (
            f"the server {why} (as SGLang, TGI, llama.cpp and Ollama do): classified by the served name "
            f"`{name}` alone",
            *cls.evidence,
        )
        return _served(entry, name, root, cls, evidence)

    cls = judge(root)
    evidence: tuple[str, ...] = (f"served as `{name}` from root `{root}`", *cls.evidence)
    if cls.kind == "unknown":
        by_alias = judge(name)
        if by_alias.kind == "base":
            evidence += (f"the root says nothing; the served name `{name}` reads as base:", *by_alias.evidence)
            cls = Classification(cls.model, cls.normalized, "base", "low", (), by_alias.sibling)
        elif by_alias.kind != "unknown":
            evidence += (
                f"the served name `{name}` alone would read as {by_alias.kind}, but an alias is the "
                "operator's choice: the model stays unknown (and is probed)",
            )
    return _served(entry, name, root, cls, evidence)


def _served(
    entry: dict[str, Any], name: str, root: str | None, cls: Classification, evidence: tuple[str, ...]
) -> ServedModel:
    return ServedModel(
        id=name,
        root=root,
        parent=_text(entry, "parent"),
        max_model_len=_int(entry, "max_model_len"),
        owned_by=_text(entry, "owned_by"),
        kind=cls.kind,
        confidence=cls.confidence,
        evidence=tuple(dict.fromkeys(evidence)),
        sibling=cls.sibling if cls.kind == "base" else None,
    )


def list_models(
    client: Any, *, overrides: Sequence[ModelOverride] = (), online: bool = False, base_dir: Path | None = None
) -> Listing:
    """GET `/models` through `client` and classify every entry (raises EndpointError)."""
    entries, notes = parse_listing(client.get_json("/models"))
    where = base_dir or Path.cwd()
    models = tuple(classify_entry(e, overrides=overrides, online=online, base_dir=where) for e in entries)
    if not models:
        notes.append("the server lists no models")
    return Listing(models, tuple(notes))
