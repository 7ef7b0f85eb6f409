"""Classify a local model folder (or GGUF file, or HF cache snapshot) from what its files say.

The declared parent (adapter, model card, `_name_or_path`, GGUF `general.base_model`) is classified in
turn, by name, by its own folder, and through the Hub only when the caller allowed it; quantised and
adapter copies inherit its label, fine-tunes of chat models stay chat. A chat template is reported but
never counts as tuning evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path

from vlint import knowledge
from vlint.classify import folder
from vlint.classify.folder import (
    FolderFacts,
    hf_cache_snapshot,
    inspect_folder,
    resolve_local_path,
)
from vlint.classify.gguf import GGUFHeader
from vlint.classify.names import (
    CHAT_KINDS,
    Classification,
    cap_confidence,
    classify_name,
)
from vlint.classify.reference import parse_reference

MAX_DEPTH = 5


@lru_cache(maxsize=1)
def _chat_eos_ids() -> dict[int, str]:
    data = knowledge.load_data("models.yaml").get("chat_eos_token_ids") or {}
    return {int(k): str(v) for k, v in data.items()}


def clear_caches() -> None:
    """Forget memoised folder reads and the terminator table (tests swap files and `rules/`)."""
    _chat_eos_ids.cache_clear()
    folder.clear_caches()


def _parent_of(facts: FolderFacts) -> tuple[str, str, str] | None:
    """(parent, relation, where it was declared), strongest declaration first."""
    if facts.adapter_parent:
        return facts.adapter_parent, "adapter", "adapter_config.json base_model_name_or_path"
    if facts.readme_parents:
        relation = facts.readme_relation or ("quantized" if facts.quant_method else "finetune")
        where = "README.md front matter base_model" + (
            f" (base_model_relation: {facts.readme_relation})" if facts.readme_relation else ""
        )
        return facts.readme_parents[0], relation, where
    if facts.name_or_path and _usable_parent(facts.name_or_path, facts.path):
        relation = "quantized" if facts.quant_method else "copy"
        return facts.name_or_path, relation, "config.json _name_or_path"
    return None


def _usable_parent(name: str, folder: Path) -> bool:
    try:
        if Path(name).expanduser().resolve() in (folder.resolve(), folder.resolve().parent):
            return False
    except OSError:
        return False
    return classify_name(name).kind != "unknown" or name.count("/") == 1


def classify_local(
    text: str, by_name: Classification, *, online: bool, base_dir: Path | None, _depth: int = 0
) -> Classification | None:
    """The local-files answer for a reference that names an existing path or a cached Hub snapshot."""
    path = resolve_local_path(text, base_dir)
    origin = "local model path"
    if path is None:
        ref = parse_reference(text)
        if by_name.confidence == "high" or ref.problem or ref.ollama_tag is not None or ref.is_path:
            return None
        if ref.org is None:
            return None
        path = hf_cache_snapshot(ref.repo_id or ref.full_id, ref.revision)
        origin = "local Hugging Face cache snapshot"
        if path is None:
            return None
    elif by_name.confidence == "high":
        return None  # curated knowledge of an exact Hub id (an HF cache path) outranks the files
    facts = inspect_folder(path)
    notes = [f"{origin}: {path}", *facts.problems]
    decided = _decide(facts, by_name, online=online, base_dir=base_dir, depth=_depth, notes=notes)
    if decided is None:
        if len(notes) == 1 + len(facts.problems) and by_name.kind != "unknown":
            return None  # the files said nothing at all: the name's answer stands unchanged
        notes.append("the files do not say whether it is base or chat-tuned")
        return Classification(
            by_name.model,
            by_name.normalized,
            by_name.kind,
            by_name.confidence,
            (*by_name.evidence, *notes),
            by_name.sibling,
        )
    kind, confidence, evidence, sibling = decided
    return Classification(
        by_name.model,
        by_name.normalized,
        kind,
        confidence,
        (*notes, *evidence),
        sibling if kind == "base" else None,
    )


def _classify_parent(parent: str, *, online: bool, base_dir: Path | None, depth: int) -> Classification:
    by_name = classify_name(parent)
    if depth < MAX_DEPTH:
        local = classify_local(parent, by_name, online=online, base_dir=base_dir, _depth=depth + 1)
        if local is not None:
            return local
    if online and by_name.confidence != "high":
        from vlint.classify import hub  # imported for online runs only

        return hub.refine(parent, by_name)
    return by_name


# A decision from a folder's files: (kind, confidence, evidence, instruct sibling).
Decision = tuple[str, str, tuple[str, ...], str | None]


def _decide(facts: FolderFacts, by_name: Classification, *, online: bool, base_dir: Path | None, depth: int,
            notes: list[str]) -> Decision | None:
    """The folder's answer, strongest evidence first: a declared parent that is not a base model, the GGUF
    header's name, a declared base parent, the GGUF header's parents, then the card's own words. None when
    the files do not decide (the name's answer stands)."""
    chat_eos = _note_signals(facts, notes)
    classify_parent = partial(_classify_parent, online=online, base_dir=base_dir, depth=depth)
    lineage = _parent_of(facts)
    parent_cls: Classification | None = None
    if lineage and lineage[1] == "merge" and len(facts.readme_parents) > 1:
        merged = _from_merge(facts, classify_parent)
        if merged is not None:
            return merged
    if lineage:
        parent_cls = classify_parent(lineage[0])
        inherited = _from_parent(lineage, parent_cls, by_name)
        if inherited is not None:
            return inherited
    named = _from_gguf_name(facts)
    if named is not None:
        return named
    if lineage and parent_cls is not None and parent_cls.kind == "base":
        return _from_base_parent(lineage, parent_cls, by_name, facts, chat_eos)
    gguf_parents = _gguf_parents(facts.gguf)
    if gguf_parents:
        parent_cls = classify_parent(gguf_parents[0])
        if parent_cls.kind in CHAT_KINDS:
            return (parent_cls.kind, "medium", (
                f"GGUF header general.base_model: derived from {gguf_parents[0]}",
                f"a fine-tune of a {parent_cls.kind} model stays {parent_cls.kind}"), None)
        notes.append(f"GGUF header general.base_model names {gguf_parents[0]} ({parent_cls.kind})")
    if by_name.kind != "unknown":
        return None
    return _from_card(facts, chat_eos)


def _note_signals(facts: FolderFacts, notes: list[str]) -> list[str]:
    """Note what the files show (template, turn terminators, quantisation); returns the chat terminators."""
    chat_eos = [f"{i} ({_chat_eos_ids()[i]})" for i in facts.eos_ids if i in _chat_eos_ids()]
    if facts.template_file:
        notes.append(
            f"a chat template is present ({facts.template_file}); that alone does not make a model chat-tuned"
        )
    if chat_eos:
        notes.append(
            f"generation_config.json eos_token_id includes the chat turn terminator {', '.join(chat_eos)}"
        )
    elif facts.eos_ids:
        notes.append(f"generation_config.json eos_token_id {list(facts.eos_ids)} has no chat turn terminator")
    if facts.quant_method:
        notes.append(f"quantised weights ({facts.quant_method}): the label is the source model's")
    return chat_eos


def _from_merge(facts: FolderFacts, classify_parent: Callable[[str], Classification]) -> Decision | None:
    """A merge of several declared parents: chat when any parent is, base when all are."""
    merged = [(p, classify_parent(p)) for p in facts.readme_parents]
    chat = [(p, c) for p, c in merged if c.kind in CHAT_KINDS]
    names = ", ".join(p for p, _ in merged)
    if chat:
        return ("instruct", "medium", (
            f"README.md front matter: a merge of {names}; {chat[0][0]} is chat-tuned, "
            "so the merge is treated as chat",), None)
    if all(c.kind == "base" for _, c in merged):
        return "base", "medium", (f"README.md front matter: a merge of base models ({names})",), None
    return None


def _from_parent(lineage: tuple[str, str, str], parent_cls: Classification, by_name: Classification,
                 ) -> Decision | None:
    """A quantised or adapter copy has its parent's label; a fine-tune, merge or copy of a chat (or other)
    model stays what its parent is."""
    parent, relation, where = lineage
    link = _describe_link(where, relation, parent)
    parent_says = f"{parent} is {parent_cls.kind} ({parent_cls.confidence}): {parent_cls.evidence[-1]}"
    if relation in ("quantized", "adapter") and parent_cls.kind != "unknown":
        mismatch: tuple[str, ...] = ()
        if by_name.kind not in ("unknown", parent_cls.kind):
            mismatch = (
                f"the name suggests {by_name.kind}, but a {relation} copy has its parent's label: "
                "trusting the lineage",
            )
        return parent_cls.kind, parent_cls.confidence, (link, parent_says, *mismatch), parent_cls.sibling
    if relation in ("finetune", "merge", "copy") and parent_cls.kind in (*CHAT_KINDS, "other"):
        return (parent_cls.kind, cap_confidence(parent_cls.confidence, "medium"),
                (link, parent_says, f"a {relation} of a {parent_cls.kind} model stays {parent_cls.kind}"), None)
    return None


def _from_gguf_name(facts: FolderFacts) -> Decision | None:
    gguf_name = _gguf_name(facts.gguf)
    if not gguf_name:
        return None
    named = classify_name(gguf_name)
    if named.kind == "unknown":
        return None
    return (named.kind, cap_confidence(named.confidence, "medium"),
            (f"GGUF header general.name '{gguf_name}' in {facts.gguf_file}", named.evidence[-1]), named.sibling)


def _from_base_parent(lineage: tuple[str, str, str], parent_cls: Classification, by_name: Classification,
                      facts: FolderFacts, chat_eos: list[str]) -> Decision:
    """Derived from a base model: chat-tuned when set up to end chat turns, else base or (a declared
    fine-tune) probably instruct."""
    parent, relation, where = lineage
    link = _describe_link(where, relation, parent)
    parent_says = f"{parent} is base ({parent_cls.confidence}): {parent_cls.evidence[-1]}"
    if chat_eos:
        return ("instruct", "medium",
                (link, parent_says, "derived from a base model but set up to end chat turns: a chat fine-tune"), None)
    if by_name.kind == "base" or relation == "copy":
        confidence = "medium" if facts.eos_ids else "low"
        return "base", confidence, (link, parent_says, "nothing in the files shows chat tuning"), parent_cls.sibling
    return ("instruct", "low", (link, parent_says, "a declared fine-tune of a base model is usually "
                                "chat-tuned, but nothing in the files confirms it"), None)


def _from_card(facts: FolderFacts, chat_eos: list[str]) -> Decision | None:
    """The model card's own words, then the turn terminator alone, then the card's tags."""
    if facts.readme_says:
        kind, phrase = facts.readme_says
        return kind, "medium", (f"README.md says '{phrase}'",), None
    if chat_eos:
        return "instruct", "low", ("the chat turn terminator in generation_config.json is the only signal",), None
    tags = [t.lower() for t in facts.readme_tags]
    if any(t in ("base", "pretrained", "base-model") for t in tags):
        return "base", "low", ("README.md tags it as a base/pretrained model",), None
    return None


def _describe_link(where: str, relation: str, parent: str) -> str:
    if relation == "copy":
        return f"{where}: loaded from {parent} (no quantisation, adapter or declared fine-tune)"
    return f"{where}: {relation} of {parent}"


def _gguf_name(header: GGUFHeader | None) -> str | None:
    if header is None:
        return None
    name = header.metadata.get("general.name")
    if not isinstance(name, str) or not name.strip():
        parts = [
            header.metadata.get(k) for k in ("general.basename", "general.size_label", "general.finetune")
        ]
        name = "-".join(p for p in parts if isinstance(p, str) and p)
    return "-".join(name.split()) if name else None


def _gguf_parents(header: GGUFHeader | None) -> list[str]:
    if header is None:
        return []
    meta = header.metadata
    parents = []
    for i in range(
        int(meta.get("general.base_model.count") or 0)
        if isinstance(meta.get("general.base_model.count"), int)
        else 0
    ):
        url = meta.get(f"general.base_model.{i}.repo_url")
        org = meta.get(f"general.base_model.{i}.organization")
        name = meta.get(f"general.base_model.{i}.name")
        if isinstance(url, str) and "huggingface.co/" in url:
            parents.append(url.split("huggingface.co/", 1)[1].strip("/"))
        elif isinstance(name, str):
            parents.append(
                f"{org}/{'-'.join(name.split())}" if isinstance(org, str) else "-".join(name.split())
            )
    return parents
