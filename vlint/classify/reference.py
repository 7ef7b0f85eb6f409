"""A model reference taken apart: whatever the user wrote, normalised to an org and a name stem.

Hub URLs, storage URLs, provider prefixes (`hosted_vllm/`), Hugging Face cache and Ollama store paths,
`@revision` pins, quantisation tags and file names are peeled off with notes, so the name rules read the
model's own name. Pure: never touches the filesystem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vlint.classify.data import Knowledge, load_knowledge


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
    """Take a reference apart into org, name stem, tag and revision, with a note for each step. Pure: never
    touches the filesystem."""
    kb = load_knowledge()
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


def _strip_provider_prefixes(kb: Knowledge, state: _Scratch) -> None:
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


def _name_from_path(kb: Knowledge, state: _Scratch) -> str | None:
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


def _split_hub_id(kb: Knowledge, state: _Scratch) -> None:
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


def _finish(kb: Knowledge, raw: str, state: _Scratch) -> Reference:
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


def _is_repo_quant_tag(kb: Knowledge, head: str, tag: str) -> bool:
    """`org/Repo-GGUF:Q4_K_M` (llama.cpp `-hf`, LM Studio) names a Hub repo and a quant, not an Ollama tag."""
    if "/" not in head:
        return False
    return bool(kb.format_suffix.search("-" + tag)) or bool(kb.format_suffix.search(head))


def _strip_file_name(kb: Knowledge, name: str) -> str:
    """`Qwen2.5-7B-Instruct-Q4_K_M-00001-of-00002.gguf` -> `Qwen2.5-7B-Instruct-Q4_K_M` (suffixes go later)."""
    stem = kb.file_extension.sub("", name)
    return kb.shard_suffix.sub("", stem)


def _peel_format_suffixes(kb: Knowledge, name: str) -> tuple[str, list[str]]:
    peeled: list[str] = []
    while True:
        m = kb.format_suffix.search(name)
        if not m or m.start() == 0:
            return name, peeled
        peeled.append(name[m.start() + 1 :])
        name = name[: m.start()]
