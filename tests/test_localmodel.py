"""Local model folders, GGUF headers and HF cache snapshots: classified from their small files, offline."""

from __future__ import annotations

import shutil
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from vlint.classify import ModelOverride, classify
from vlint.classify import local as localmodel
from vlint.classify.folder import hf_cache_snapshot, inspect_folder
from vlint.classify.gguf import read_gguf_header

FIXTURES = Path(__file__).parent / "fixtures" / "models"

# GGUF value types (ggml/docs/gguf.md)
UINT32, INT32, BOOL, STRING, ARRAY, UINT64 = 4, 5, 7, 8, 9, 10


def _gguf_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def _gguf_value(value_type: int, value: Any) -> bytes:
    if value_type == STRING:
        return _gguf_string(value)
    if value_type == UINT32:
        return struct.pack("<I", value)
    if value_type == INT32:
        return struct.pack("<i", value)
    if value_type == UINT64:
        return struct.pack("<Q", value)
    if value_type == BOOL:
        return struct.pack("<?", value)
    if value_type == ARRAY:
        item_type, items = value
        return struct.pack("<IQ", item_type, len(items)) + b"".join(_gguf_value(item_type, i) for i in items)
    raise AssertionError(value_type)


def write_gguf(path: Path, kv: list[tuple[str, int, Any]], *, tensor_bytes: int = 0) -> Path:
    """A GGUF v3 file written by hand from the spec: header, key/values, then (fake) tensor data."""
    out = b"GGUF" + struct.pack("<I", 3) + struct.pack("<Q", 1) + struct.pack("<Q", len(kv))
    for key, value_type, value in kv:
        out += _gguf_string(key) + struct.pack("<I", value_type) + _gguf_value(value_type, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(out)
        if tensor_bytes:
            fh.truncate(len(out) + tensor_bytes)  # sparse: costs no disk, but is huge if anyone reads it
    return path


def _vocab(n: int) -> tuple[int, list[str]]:
    return STRING, [f"tok{i}" for i in range(n)]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    localmodel.clear_caches()


def _copy(name: str, dest: Path) -> Path:
    shutil.copytree(FIXTURES / name, dest)
    return dest


# ------------------------------------------------------------------ folders whose names say nothing


def test_quantized_reupload_folder_is_base(tmp_path: Path) -> None:
    folder = _copy("quantized-reupload", tmp_path / "run" / "checkpoint-500")
    assert classify(str(tmp_path / "run" / "checkpoint-500-missing")).kind == "unknown"
    result = classify(str(folder))
    assert result.kind == "base"
    text = " | ".join(result.evidence)
    assert "base_model_relation: quantized" in text and "Qwen/Qwen2.5-14B" in text
    assert "does not make a model chat-tuned" in text  # the template was seen, and did not count
    assert result.sibling == "Qwen/Qwen2.5-14B-Instruct"


def test_lora_adapter_inherits_its_parent(tmp_path: Path) -> None:
    folder = _copy("lora-adapter", tmp_path / "final")
    result = classify(str(folder))
    assert result.kind == "instruct"
    assert any("adapter_config.json base_model_name_or_path" in e for e in result.evidence)


def test_fine_tune_of_a_base_with_a_chat_terminator_is_instruct(tmp_path: Path) -> None:
    folder = _copy("sft-from-base", tmp_path / "merged")
    result = classify(str(folder))
    assert (result.kind, result.confidence) == ("instruct", "medium")
    assert any("151645" in e for e in result.evidence)


def test_saved_copy_of_a_base_with_a_template_stays_base(tmp_path: Path) -> None:
    folder = _copy("saved-base", tmp_path / "output")
    result = classify(str(folder))
    assert (result.kind, result.confidence) == ("base", "medium")
    text = " | ".join(result.evidence)
    assert "config.json _name_or_path" in text
    assert "no chat turn terminator" in text
    assert "does not make a model chat-tuned" in text


def test_readme_fine_tune_of_a_chat_model_is_chat(tmp_path: Path) -> None:
    folder = _copy("readme-finetune-of-chat", tmp_path / "sft")
    result = classify(str(folder))
    assert (result.kind, result.confidence) == ("instruct", "medium")


def test_merge_with_a_chat_parent_is_chat(tmp_path: Path) -> None:
    folder = tmp_path / "merged"
    folder.mkdir()
    (folder / "README.md").write_text(
        "---\nbase_model:\n- Qwen/Qwen2.5-7B\n- Qwen/Qwen2.5-7B-Instruct\nbase_model_relation: merge\n"
        "tags: [mergekit]\n---\n",
        encoding="utf-8",
    )
    result = classify(str(folder))
    assert (result.kind, result.confidence) == ("instruct", "medium")
    (folder / "README.md").write_text(
        "---\nbase_model: [Qwen/Qwen2.5-7B, Qwen/Qwen2.5-Math-7B]\nbase_model_relation: merge\n---\n",
        encoding="utf-8",
    )
    assert classify(str(folder)).kind == "base"  # an edited file is re-read, not served from memory


def test_folder_without_signals_is_unknown_and_says_so(tmp_path: Path) -> None:
    folder = _copy("mystery", tmp_path / "checkpoint-1200")
    result = classify(str(folder))
    assert result.kind == "unknown"
    assert any("do not say" in e for e in result.evidence)


def test_relative_paths_resolve_against_base_dir(tmp_path: Path) -> None:
    _copy("quantized-reupload", tmp_path / "project" / "models" / "final")
    result = classify("models/final", base_dir=tmp_path / "project")
    assert result.kind == "base"
    assert classify("./models/final", base_dir=tmp_path / "project").kind == "base"
    assert classify("models/final", base_dir=tmp_path).kind == "unknown"


def test_a_descriptive_folder_name_without_files_keeps_the_name_answer(tmp_path: Path) -> None:
    folder = tmp_path / "weights" / "Qwen2.5-14B-Instruct"
    folder.mkdir(parents=True)
    result = classify(str(folder))
    assert (result.kind, result.confidence) == ("instruct", "medium")


def test_files_outrank_a_path_name(tmp_path: Path) -> None:
    folder = _copy("quantized-reupload", tmp_path / "my-chat-model-sft")
    result = classify(str(folder))
    assert result.kind == "base"
    assert any("the name suggests instruct" in e and "trusting the lineage" in e for e in result.evidence)


def test_override_beats_the_files(tmp_path: Path) -> None:
    folder = _copy("quantized-reupload", tmp_path / "m")
    ov = ModelOverride(str(folder), "instruct", "vlint.toml")
    result = classify(str(folder), overrides=[ov])
    assert result.kind == "instruct"
    assert result.evidence[0].startswith("override:")


def test_adapter_on_a_local_base_folder_follows_the_chain(tmp_path: Path) -> None:
    base = _copy("saved-base", tmp_path / "base-copy")
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(f'{{"base_model_name_or_path": "{base}"}}', encoding="utf-8")
    result = classify(str(adapter))
    assert result.kind == "base"
    assert any(str(base) in e for e in result.evidence)


def test_adapter_cycle_terminates(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "adapter_config.json").write_text(f'{{"base_model_name_or_path": "{b}"}}', encoding="utf-8")
    (b / "adapter_config.json").write_text(f'{{"base_model_name_or_path": "{a}"}}', encoding="utf-8")
    assert classify(str(a)).kind == "unknown"


# ------------------------------------------------------------------ GGUF


def test_gguf_file_is_classified_from_its_header(tmp_path: Path) -> None:
    path = write_gguf(
        tmp_path / "dl" / "model-q4.gguf",
        [
            ("general.architecture", STRING, "qwen2"),
            ("general.name", STRING, "Qwen2.5 7B Instruct"),
            ("qwen2.context_length", UINT32, 32768),
            ("tokenizer.ggml.tokens", ARRAY, _vocab(3000)),
            ("tokenizer.ggml.token_type", ARRAY, (INT32, [1] * 3000)),
            ("tokenizer.chat_template", STRING, "{% for m in messages %}{{ m.content }}{% endfor %}"),
        ],
        tensor_bytes=8 << 30,
    )
    result = classify(str(path))
    assert (result.kind, result.confidence) == ("instruct", "medium")
    assert any("general.name 'Qwen2.5-7B-Instruct'" in e for e in result.evidence)


def test_gguf_base_model_in_a_folder(tmp_path: Path) -> None:
    write_gguf(
        tmp_path / "blob" / "ggml-model-q8_0.gguf",
        [
            ("general.name", STRING, "Meta Llama 3.1 8B"),
            ("general.base_model.count", UINT32, 0),
        ],
    )
    assert classify(str(tmp_path / "blob")).kind == "base"


def test_gguf_fine_tune_of_a_chat_model(tmp_path: Path) -> None:
    path = write_gguf(
        tmp_path / "x" / "custom.gguf",
        [
            ("general.name", STRING, "Sunflower"),
            ("general.base_model.count", UINT32, 1),
            ("general.base_model.0.name", STRING, "Mistral 7B Instruct v0.3"),
            ("general.base_model.0.organization", STRING, "Mistralai"),
            (
                "general.base_model.0.repo_url",
                STRING,
                "https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.3",
            ),
        ],
    )
    result = classify(str(path))
    assert result.kind == "instruct"
    assert any("mistralai/Mistral-7B-Instruct-v0.3" in e for e in result.evidence)


def test_gguf_header_reader_reads_only_the_header(tmp_path: Path) -> None:
    path = write_gguf(
        tmp_path / "big.gguf",
        [
            ("general.name", STRING, "Thing"),
            ("general.tags", ARRAY, (STRING, ["chat", "text-generation"])),
            ("general.file_type", UINT32, 15),
            ("tokenizer.ggml.tokens", ARRAY, _vocab(50_000)),
            ("tokenizer.chat_template", STRING, "x" * 5000),
        ],
        tensor_bytes=16 << 30,
    )
    started = time.monotonic()
    header = read_gguf_header(path)
    assert time.monotonic() - started < 5
    assert header.version == 3
    assert header.metadata == {
        "general.name": "Thing",
        "general.tags": ["chat", "text-generation"],
        "general.file_type": 15,
    }
    assert header.has_chat_template


@pytest.mark.parametrize("damage", ["magic", "truncated", "huge-string", "bad-type", "version"])
def test_gguf_reader_rejects_malformed_files(tmp_path: Path, damage: str) -> None:
    path = write_gguf(tmp_path / "m.gguf", [("general.name", STRING, "Qwen2.5 7B")])
    data = bytearray(path.read_bytes())
    if damage == "magic":
        data[:4] = b"GGML"
    elif damage == "truncated":
        data = data[:-3]
    elif damage == "huge-string":
        data[24:32] = struct.pack("<Q", 1 << 60)  # the first key's length
    elif damage == "bad-type":
        key_end = 32 + len("general.name")
        data[key_end : key_end + 4] = struct.pack("<I", 99)
    elif damage == "version":
        data[4:8] = struct.pack("<I", 7)
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        read_gguf_header(path)
    result = classify(str(path))  # never a crash: the problem shows up as evidence
    assert any("GGUF header" in e for e in result.evidence)


def test_weights_are_never_read(tmp_path: Path) -> None:
    folder = _copy("saved-base", tmp_path / "export")
    for name in ("model-00001-of-00002.safetensors", "pytorch_model.bin", "consolidated.00.pth"):
        with open(folder / name, "wb") as fh:
            fh.truncate(32 << 30)  # sparse 32 GiB each
    started = time.monotonic()
    assert classify(str(folder)).kind == "base"
    assert time.monotonic() - started < 5


def test_oversized_small_files_are_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    with open(folder / "config.json", "wb") as fh:
        fh.truncate(64 << 20)
    facts = inspect_folder(folder)
    assert facts.name_or_path is None


# ------------------------------------------------------------------ the local HF cache


def _hf_cache_repo(cache: Path, repo_id: str, files: dict[str, str], sha: str = "a" * 40) -> Path:
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / sha
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha, encoding="utf-8")
    for name, text in files.items():
        (snapshot / name).write_text(text, encoding="utf-8")
    return snapshot


def test_hf_cache_snapshot_classifies_an_anonymous_repo_offline(tmp_path: Path) -> None:
    readme = "---\nbase_model: mistralai/Mistral-Small-24B-Base-2501\nbase_model_relation: quantized\n---\n"
    snapshot = _hf_cache_repo(
        tmp_path / "hf-cache", "someorg/KindheartedAphrodite", {"README.md": readme, "config.json": "{}"}
    )
    assert hf_cache_snapshot("someorg/KindheartedAphrodite") == snapshot
    result = classify("someorg/KindheartedAphrodite")
    assert result.kind == "base"
    assert any("local Hugging Face cache snapshot" in e for e in result.evidence)


def test_hf_home_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hfhome"))
    _hf_cache_repo(
        tmp_path / "hfhome" / "hub",
        "acme/Opaque-7B",
        {"adapter_config.json": '{"base_model_name_or_path": "google/gemma-2-9b"}'},
    )
    assert classify("acme/Opaque-7B").kind == "base"


def test_curated_ids_do_not_need_the_cache(tmp_path: Path) -> None:
    _hf_cache_repo(
        tmp_path / "hf-cache",
        "Qwen/Qwen2.5-14B",
        {"README.md": "---\nbase_model: Qwen/Qwen2.5-14B-Instruct\nbase_model_relation: quantized\n---\n"},
    )
    result = classify("Qwen/Qwen2.5-14B")
    assert (result.kind, result.confidence) == ("base", "high")  # curated knowledge outranks cached files


def test_an_hf_cache_path_maps_to_its_repo(tmp_path: Path) -> None:
    readme = "---\nbase_model: meta-llama/Llama-3.1-8B\nbase_model_relation: adapter\n---\n"
    snapshot = _hf_cache_repo(tmp_path / "hf-cache", "acme/Thing", {"README.md": readme})
    result = classify(str(snapshot))
    assert result.kind == "base"
    assert result.normalized == "acme/Thing"


def test_reader_agrees_with_the_reference_gguf_writer() -> None:
    """The fixture was written by the `gguf` package itself (see its README.txt), not by our test writer."""
    path = FIXTURES / "gguf-py" / "model-Q4_K_M.gguf"
    header = read_gguf_header(path)
    assert header.metadata["general.name"] == "Sunflower 7B"
    assert header.metadata["general.architecture"] == "qwen2"
    assert header.metadata["general.base_model.0.repo_url"] == "https://huggingface.co/Qwen/Qwen2.5-7B"
    assert header.metadata["general.tags"] == ["text-generation"]
    assert header.has_chat_template
    result = classify(str(path))
    # A fine-tune of a base model whose own name says nothing: honest "unknown", with the lineage noted.
    assert result.kind == "unknown"
    assert any("general.base_model names Qwen/Qwen2.5-7B (base)" in e for e in result.evidence)


def test_hf_cache_snapshot_holding_only_a_gguf_file(tmp_path: Path) -> None:
    snapshot = _hf_cache_repo(tmp_path / "hf-cache", "someone/Opaque-7B-GGUF", {})
    write_gguf(snapshot / "opaque-7b.Q4_K_M.gguf", [("general.name", STRING, "Qwen2.5 7B Instruct")])
    result = classify("someone/Opaque-7B-GGUF")
    assert result.kind == "instruct"
    assert any("local Hugging Face cache snapshot" in e for e in result.evidence)


def test_a_downloaded_base_model_in_an_anonymous_folder(tmp_path: Path) -> None:
    """A snapshot of Qwen/Qwen2.5-7B saved as ./models/prod-llm: no lineage, but the card's prose says base."""
    folder = _copy("downloaded-base", tmp_path / "models" / "prod-llm")
    result = classify("models/prod-llm", base_dir=tmp_path)
    assert (result.kind, result.confidence) == ("base", "medium")
    assert any("do not recommend using base language models for conversations" in e for e in result.evidence)
    (folder / "README.md").write_text(
        (folder / "README.md").read_text(encoding="utf-8") + "\nThis model is a chat model.\n",
        encoding="utf-8",
    )
    assert classify("models/prod-llm", base_dir=tmp_path).kind == "unknown"  # the card contradicts itself
