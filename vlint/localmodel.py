"""Classify a local model folder (or GGUF file, or HF cache snapshot) from its small files.

A folder called `checkpoint-500` or `merged` says nothing; its files often do (research/models.md §3.2):
the README front matter and `adapter_config.json` name the parent, `config.json` carries
`_name_or_path` and `quantization_config`, `generation_config.json` shows whether turns end with a chat
terminator, and a GGUF header holds `general.name` and `general.base_model.*`. Only small files are read
(bounded sizes, the GGUF *header* only); weights are never loaded. A chat template is reported but never
counts as tuning evidence. No network here: parents are classified by name, and through the Hub only
when the caller allowed it.
"""

from __future__ import annotations

import json
import os
import re
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from vlint import knowledge
from vlint.classify import (
    CHAT_KINDS,
    CONFIDENCE_LEVELS,
    Classification,
    classify_name,
    parse_reference,
)

MAX_SMALL_FILE = 4 * 1024 * 1024
MAX_GGUF_HEADER = 128 * 1024 * 1024
MAX_GGUF_KV = 8192
MAX_GGUF_STRING = 16 * 1024 * 1024
MAX_DEPTH = 5
RELATIONS = ("quantized", "adapter", "merge", "finetune")
TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")
SMALL_FILES = (
    "config.json",
    "README.md",
    "adapter_config.json",
    "generation_config.json",
    "tokenizer_config.json",
)


# ---------------------------------------------------------------------------------------------------
# GGUF header
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GGUFHeader:
    """The metadata keys vlint cares about; tensors and big arrays (the vocabulary) are skipped."""

    version: int
    metadata: dict[str, Any]
    has_chat_template: bool


_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9


class _Reader:
    """Bounded little-endian reads: a corrupt or hostile file ends in ValueError, not a huge allocation."""

    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self.fh, self.limit, self.pos = fh, limit, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.limit:
            raise ValueError("GGUF header larger than the read limit")
        data = self.fh.read(n)
        if len(data) != n:
            raise ValueError("truncated GGUF header")
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.limit:
            raise ValueError("GGUF header larger than the read limit")
        self.fh.seek(n, os.SEEK_CUR)
        self.pos += n

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self, len_fmt: str, keep: bool = True) -> str | None:
        length = self.unpack(len_fmt)
        if length > MAX_GGUF_STRING:
            raise ValueError("GGUF string too long")
        if not keep:
            self.skip(length)
            return None
        return self.take(length).decode("utf-8", errors="replace")


def read_gguf_header(path: Path, *, limit: int = MAX_GGUF_HEADER) -> GGUFHeader:
    """Parse the key/value header of a GGUF file (versions 1 to 3). Raises ValueError when malformed."""
    with open(path, "rb") as fh:
        reader = _Reader(fh, limit)
        if reader.take(4) != b"GGUF":
            raise ValueError("not a GGUF file")
        version = reader.unpack("<I")
        if version not in (1, 2, 3):
            raise ValueError(f"unsupported GGUF version {version}")
        count_fmt = "<I" if version == 1 else "<Q"
        reader.unpack(count_fmt)  # tensor count: not needed
        kv_count = reader.unpack(count_fmt)
        if kv_count > MAX_GGUF_KV:
            raise ValueError("implausible GGUF key count")
        metadata: dict[str, Any] = {}
        has_template = False
        for _ in range(kv_count):
            key = reader.string(count_fmt) or ""
            value_type = reader.unpack("<I")
            wanted = key.startswith("general.")
            if key == "tokenizer.chat_template":
                has_template = True
            metadata_value = _read_value(reader, value_type, count_fmt, keep=wanted)
            if wanted:
                metadata[key] = metadata_value
        return GGUFHeader(version, metadata, has_template)


def _read_value(reader: _Reader, value_type: int, count_fmt: str, *, keep: bool) -> Any:
    if value_type in _SCALARS:
        return reader.unpack(_SCALARS[value_type])
    if value_type == _STRING:
        return reader.string(count_fmt, keep=keep)
    if value_type == _ARRAY:
        item_type = reader.unpack("<I")
        count = reader.unpack(count_fmt)
        keep_items = keep and count <= 64
        if item_type in _SCALARS and not keep_items:
            reader.skip(struct.calcsize(_SCALARS[item_type]) * count)
            return None
        items = [_read_value(reader, item_type, count_fmt, keep=keep_items) for _ in range(count)]
        return items if keep_items else None
    raise ValueError(f"unknown GGUF value type {value_type}")


# ---------------------------------------------------------------------------------------------------
# Reading a folder
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderFacts:
    """What a model folder's small files say. Every field is optional: most folders have a few files."""

    path: Path
    readme_parents: tuple[str, ...] = ()
    readme_relation: str | None = None
    readme_tags: tuple[str, ...] = ()
    readme_says: tuple[str, str] | None = None  # (kind, the phrase) from the model card's prose
    adapter_parent: str | None = None
    name_or_path: str | None = None
    quant_method: str | None = None
    eos_ids: tuple[int, ...] = ()
    template_file: str | None = None
    gguf_file: str | None = None
    gguf: GGUFHeader | None = None
    problems: tuple[str, ...] = field(default=())


def _read_small(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_SMALL_FILE:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _read_json(path: Path) -> dict[str, Any] | None:
    text = _read_small(path)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@lru_cache(maxsize=1)
def _readme_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    data = knowledge.load_data("models.yaml").get("readme_phrases") or {}
    return tuple(
        (kind, re.compile(pattern, re.IGNORECASE))
        for kind, patterns in data.items()
        for pattern in patterns or ()
    )


def _readme_phrase(text: str) -> tuple[str, str] | None:
    """What the card's prose says about tuning, when it says one thing only (cards often mention both)."""
    found: dict[str, str] = {}
    for kind, pattern in _readme_patterns():
        m = pattern.search(text[:65536])
        if m and kind not in found:
            found[kind] = " ".join(m.group(0).split())
    return next(iter(found.items())) if len(found) == 1 else None


def _front_matter(text: str) -> dict[str, Any]:
    """The YAML block a model card starts with (what `metadata_load` reads), without the network."""
    import yaml

    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            try:
                data = yaml.safe_load("\n".join(lines[1:end]))
            except yaml.YAMLError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _as_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str) and v.strip())
    return ()


def inspect_folder(path: Path) -> FolderFacts:
    """Read the small files of a model folder, or of the folder holding a single GGUF file."""
    return _inspect_cached(str(path), _fingerprint(path))


def _fingerprint(path: Path) -> tuple[tuple[str, int, int], ...]:
    """Size and mtime of the files we read: a folder's own mtime does not change when a file is edited."""
    folder = path if path.is_dir() else path.parent
    names = [*SMALL_FILES, *TEMPLATE_FILES] + ([path.name] if path.is_file() else [])
    out = []
    for name in names:
        try:
            st = (folder / name).stat()
        except OSError:
            continue
        out.append((name, st.st_mtime_ns, st.st_size))
    return tuple(out)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@lru_cache(maxsize=256)
def _inspect_cached(path_text: str, _fingerprint: tuple[tuple[str, int, int], ...]) -> FolderFacts:
    path = Path(path_text)
    gguf_path: Path | None = None
    folder = path
    if path.is_file():
        folder = path.parent
        if path.suffix.lower() == ".gguf":
            gguf_path = path
    elif path.is_dir():
        try:
            ggufs = sorted(p for p in path.iterdir() if p.suffix.lower() == ".gguf" and p.is_file())
        except OSError:
            ggufs = []
        gguf_path = ggufs[0] if ggufs else None

    problems: list[str] = []
    readme = _read_small(folder / "README.md")
    meta = _front_matter(readme) if readme else {}
    relation = meta.get("base_model_relation")
    adapter = _read_json(folder / "adapter_config.json") or {}
    config = _read_json(folder / "config.json") or {}
    generation = _read_json(folder / "generation_config.json") or {}
    tokenizer_config = _read_json(folder / "tokenizer_config.json") or {}

    eos = generation.get("eos_token_id")
    eos_ids = tuple(i for i in (eos if isinstance(eos, list) else [eos]) if isinstance(i, int))
    quant = config.get("quantization_config")
    quant_method = None
    if isinstance(quant, dict):
        quant_method = str(quant.get("quant_method") or "quantized")
    template_file = next((name for name in TEMPLATE_FILES if (folder / name).is_file()), None)
    if template_file is None and tokenizer_config.get("chat_template"):
        template_file = "tokenizer_config.json"

    header: GGUFHeader | None = None
    if gguf_path is not None:
        try:
            header = read_gguf_header(gguf_path)
        except (OSError, ValueError) as exc:
            problems.append(f"could not read the GGUF header of {gguf_path.name}: {exc}")
        if header is not None and header.has_chat_template and template_file is None:
            template_file = f"{gguf_path.name} (tokenizer.chat_template)"
        if header is not None and quant_method is None:
            quant_method = "gguf"

    name_or_path = config.get("_name_or_path")
    return FolderFacts(
        path=path,
        readme_parents=_as_list(meta.get("base_model")),
        readme_relation=relation if relation in RELATIONS else None,
        readme_tags=_as_list(meta.get("tags")),
        readme_says=_readme_phrase(readme) if readme else None,
        adapter_parent=adapter.get("base_model_name_or_path")
        if isinstance(adapter.get("base_model_name_or_path"), str)
        else None,
        name_or_path=name_or_path if isinstance(name_or_path, str) and name_or_path.strip() else None,
        quant_method=quant_method,
        eos_ids=eos_ids,
        template_file=template_file,
        gguf_file=gguf_path.name if gguf_path else None,
        gguf=header,
        problems=tuple(problems),
    )


# ---------------------------------------------------------------------------------------------------
# Finding the folder
# ---------------------------------------------------------------------------------------------------


def resolve_local_path(text: str, base_dir: Path | None) -> Path | None:
    """The existing file or folder a reference names: absolute, `~`, or relative to `base_dir`."""
    raw = text.strip()
    if not raw or len(raw) > 4096 or "\x00" in raw or "://" in raw.replace("file://", "", 1):
        return None
    if raw.startswith("file://"):
        raw = raw[len("file://") :]
    candidate = Path(raw).expanduser()
    if not candidate.is_absolute():
        candidate = (base_dir or Path.cwd()) / candidate
    try:
        return candidate if candidate.exists() else None
    except OSError:
        return None


def hf_hub_cache_dir() -> Path:
    """`HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`, read at call time."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.environ[var]).expanduser()
    home = os.environ.get("HF_HOME")
    if home:
        return Path(home).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "huggingface" / "hub"


def hf_cache_snapshot(repo_id: str, revision: str | None = None) -> Path | None:
    """The local HF cache snapshot of a repo, if one is there. Never touches the network."""
    if repo_id.count("/") != 1:
        return None
    cache_dir = hf_hub_cache_dir()
    repo_dir = cache_dir / ("models--" + repo_id.replace("/", "--"))
    if not repo_dir.is_dir():
        return None
    try:
        from huggingface_hub import try_to_load_from_cache

        for name in SMALL_FILES:
            found = try_to_load_from_cache(repo_id, name, cache_dir=str(cache_dir), revision=revision)
            if isinstance(found, str):
                return Path(found).parent
    except Exception:  # an odd cache layout must not break a scan; fall back to the folder layout
        pass
    snapshots = repo_dir / "snapshots"
    ref = _read_small(repo_dir / "refs" / (revision or "main"))
    if ref and (snapshots / ref.strip()).is_dir():
        return snapshots / ref.strip()
    if revision and (snapshots / revision).is_dir():
        return snapshots / revision
    try:
        found_dirs = sorted((p for p in snapshots.iterdir() if p.is_dir()), key=_mtime, reverse=True)
    except OSError:
        return None
    return found_dirs[0] if found_dirs else None


# ---------------------------------------------------------------------------------------------------
# Deciding
# ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _chat_eos_ids() -> dict[int, str]:
    data = knowledge.load_data("models.yaml").get("chat_eos_token_ids") or {}
    return {int(k): str(v) for k, v in data.items()}


def clear_caches() -> None:
    """Forget memoised folder reads and the terminator table (tests swap files and `rules/`)."""
    _chat_eos_ids.cache_clear()
    _readme_patterns.cache_clear()
    _inspect_cached.cache_clear()


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
        from vlint import hub

        return hub.refine(parent, by_name)
    return by_name


def _decide(
    facts: FolderFacts,
    by_name: Classification,
    *,
    online: bool,
    base_dir: Path | None,
    depth: int,
    notes: list[str],
) -> tuple[str, str, tuple[str, ...], str | None] | None:
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

    lineage = _parent_of(facts)
    parent_cls: Classification | None = None
    if lineage and lineage[1] == "merge" and len(facts.readme_parents) > 1:
        merged = [
            (p, _classify_parent(p, online=online, base_dir=base_dir, depth=depth))
            for p in facts.readme_parents
        ]
        chat = [(p, c) for p, c in merged if c.kind in CHAT_KINDS]
        names = ", ".join(p for p, _ in merged)
        if chat:
            return (
                "instruct",
                "medium",
                (
                    f"README.md front matter: a merge of {names}; {chat[0][0]} is chat-tuned, "
                    "so the merge is treated as chat",
                ),
                None,
            )
        if all(c.kind == "base" for _, c in merged):
            return "base", "medium", (f"README.md front matter: a merge of base models ({names})",), None
    if lineage:
        parent, relation, where = lineage
        parent_cls = _classify_parent(parent, online=online, base_dir=base_dir, depth=depth)
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
            return (
                parent_cls.kind,
                _at_most(parent_cls.confidence, "medium"),
                (link, parent_says, f"a {relation} of a {parent_cls.kind} model stays {parent_cls.kind}"),
                None,
            )

    gguf_name = _gguf_name(facts.gguf)
    if gguf_name:
        named = classify_name(gguf_name)
        if named.kind != "unknown":
            return (
                named.kind,
                _at_most(named.confidence, "medium"),
                (f"GGUF header general.name '{gguf_name}' in {facts.gguf_file}", named.evidence[-1]),
                named.sibling,
            )

    if lineage and parent_cls is not None and parent_cls.kind == "base":
        parent, relation, where = lineage
        link = _describe_link(where, relation, parent)
        parent_says = f"{parent} is base ({parent_cls.confidence}): {parent_cls.evidence[-1]}"
        if chat_eos:
            return (
                "instruct",
                "medium",
                (
                    link,
                    parent_says,
                    "derived from a base model but set up to end chat turns: a chat fine-tune",
                ),
                None,
            )
        if by_name.kind == "base" or relation == "copy":
            confidence = "medium" if facts.eos_ids else "low"
            return (
                "base",
                confidence,
                (link, parent_says, "nothing in the files shows chat tuning"),
                parent_cls.sibling,
            )
        return (
            "instruct",
            "low",
            (
                link,
                parent_says,
                "a declared fine-tune of a base model is usually "
                "chat-tuned, but nothing in the files confirms it",
            ),
            None,
        )

    gguf_parents = _gguf_parents(facts.gguf)
    if gguf_parents:
        parent_cls = _classify_parent(gguf_parents[0], online=online, base_dir=base_dir, depth=depth)
        if parent_cls.kind in CHAT_KINDS:
            return (
                parent_cls.kind,
                "medium",
                (
                    f"GGUF header general.base_model: derived from {gguf_parents[0]}",
                    f"a fine-tune of a {parent_cls.kind} model stays {parent_cls.kind}",
                ),
                None,
            )
        notes.append(f"GGUF header general.base_model names {gguf_parents[0]} ({parent_cls.kind})")

    if by_name.kind != "unknown":
        return None
    if facts.readme_says:
        kind, phrase = facts.readme_says
        return kind, "medium", (f"README.md says '{phrase}'",), None
    if chat_eos:
        return (
            "instruct",
            "low",
            ("the chat turn terminator in generation_config.json is the only signal",),
            None,
        )
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


def _at_most(confidence: str, cap: str) -> str:
    return CONFIDENCE_LEVELS[min(CONFIDENCE_LEVELS.index(confidence), CONFIDENCE_LEVELS.index(cap))]
