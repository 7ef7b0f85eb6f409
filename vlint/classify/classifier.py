"""The classification of one model reference, in the order the evidence is trusted.

User overrides win; then a local model folder's own files (when the reference is a path that exists, or a
cached Hub snapshot); then the name (`names`); then, only when asked (`online=True`), the Hugging Face
Hub's lineage metadata (`hub`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from vlint import knowledge
from vlint.classify import local
from vlint.classify.data import DataError, load_knowledge
from vlint.classify.names import (
    KINDS,
    Classification,
    classify_name,
)


@dataclass(frozen=True)
class ModelOverride:
    """A user's declaration from config: models matching `pattern` are of `kind`, whatever else says."""

    pattern: str
    kind: str
    source: str


def clear_caches() -> None:
    """Forget the loaded knowledge and memoised answers (tests that swap `rules/` need this)."""
    knowledge.load_data.cache_clear()
    load_knowledge.cache_clear()
    classify_name.cache_clear()
    local.clear_caches()


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
    load_knowledge()  # a broken rules/models.yaml is an installation error and should surface
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
    from_files = local.classify_local(text, by_name, online=online, base_dir=base_dir)
    if from_files is not None and from_files.kind != "unknown":
        return from_files
    current = from_files or by_name
    if online and by_name.confidence != "high" and by_name.kind != "other":
        from vlint.classify import hub  # imported for online runs only (huggingface_hub and the Hub cache)

        return hub.refine(text, current)
    return current
