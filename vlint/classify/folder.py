"""What a local model folder's small files say, and where a reference's folder is.

A folder called `checkpoint-500` or `merged` says nothing; its files often do: the README front matter and
`adapter_config.json` name the parent, `config.json` carries `_name_or_path` and `quantization_config`,
`generation_config.json` shows whether turns end with a chat terminator, and a GGUF header holds
`general.name` and `general.base_model.*`. Only small files are read (bounded sizes, the GGUF header only);
weights are never loaded.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from vlint import knowledge
from vlint.classify.gguf import GGUFHeader, read_gguf_header
from vlint.classify.names import (
    RELATIONS,
)

MAX_SMALL_FILE = 4 * 1024 * 1024


TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")


SMALL_FILES = (
    "config.json",
    "README.md",
    "adapter_config.json",
    "generation_config.json",
    "tokenizer_config.json",
)


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


def clear_caches() -> None:
    """Forget memoised folder reads and README phrases (tests swap files and `rules/`)."""
    _readme_patterns.cache_clear()
    _inspect_cached.cache_clear()
