"""The online path, end to end through huggingface_hub's real client against a local HTTP server.

`HF_ENDPOINT` points at a `http.server` on 127.0.0.1 that serves recorded `/api/models/...` answers from
tests/fixtures/hub/. No test touches the network.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from vlint import cache as cache_module
from vlint.cache import HubCache, clear_cache
from vlint.classify import ModelOverride, classify, classify_name, hub

FIXTURES = Path(__file__).parent / "fixtures" / "hub"
TOKEN = "hf_vlintTestSecretToken0123456789abcdef"


@dataclass
class FakeHub:
    url: str
    requests: list[dict[str, object]] = field(default_factory=list)
    gated: set[str] = field(default_factory=set)
    broken: bool = False  # answer every request with a 500

    def paths(self) -> list[str]:
        return [str(r["path"]) for r in self.requests]


def _handler(state: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            state.requests.append(
                {
                    "path": path,
                    "query": parse_qs(parts.query),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )
            if state.broken:
                return self._send(500, {"error": "Internal Error"})
            segments = path.strip("/").split("/")
            if len(segments) < 4 or segments[:2] != ["api", "models"]:
                return self._send(404, {"error": "not found"}, "RepoNotFound")
            repo_id = "/".join(segments[2:4])
            if repo_id in state.gated:
                return self._send(403, {"error": "Access to this model is restricted"}, "GatedRepo")
            fixture = FIXTURES / (repo_id.replace("/", "__") + ".json")
            if not fixture.is_file():
                return self._send(404, {"error": "Repository not found"}, "RepoNotFound")
            return self._send(200, json.loads(fixture.read_text(encoding="utf-8")))

        def _send(self, status: int, body: dict[str, object], error_code: str | None = None) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if error_code:
                self.send_header("X-Error-Code", error_code)
                self.send_header("X-Error-Message", str(body.get("error")))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
            return

    return Handler


@pytest.fixture
def isolated_env(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache dir and no ambient Hub settings: tests must not depend on the developer's machine.
    The cache lies outside `tmp_path`, where tests put the projects they scan: vlint never uses a cache
    folder inside the working folder (state a scanned tree could have planted)."""
    cache_dir = tmp_path_factory.mktemp("user") / "vlint-cache"
    monkeypatch.setenv("VLINT_CACHE_DIR", str(cache_dir))
    for var in (
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "VLINT_CACHE_TTL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("VLINT_HUB_TIMEOUT", "5")
    hub.forget_failures()
    monkeypatch.setattr(hub, "_UNREACHABLE", {})
    # huggingface_hub 2.x fetches an "agent harness" telemetry registry from the endpoint it read at import
    # time (possibly the real Hub) before its first request; give it an empty registry so no test can
    # reach the network. The code path under test (model_info) is untouched.
    # huggingface_hub also reads HF_HUB_OFFLINE once, at import (tests/conftest.py sets it for the whole
    # session): unsetting the variable here must reach the library too, as it would in a fresh process.
    from huggingface_hub import constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    try:
        from huggingface_hub.utils import _detect_agent
    except ImportError:
        _detect_agent = None
    if _detect_agent is not None and hasattr(_detect_agent, "_registry"):
        monkeypatch.setattr(_detect_agent, "_registry", {"standardEnvVars": [], "harnesses": {}})
    return cache_dir


@pytest.fixture
def fake_hub(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = FakeHub(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", state.url)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ the acceptance test


def test_anonymous_reupload_of_a_base_model_is_base_online(fake_hub: FakeHub) -> None:
    result = classify("someorg/KindheartedAphrodite", online=True)
    assert result.kind == "base"
    text = " | ".join(result.evidence)
    assert "someorg/KindheartedAphrodite is a quantized of mistralai/Mistral-Small-24B-Base-2501" in text
    assert "base_model_relation" in text
    assert "curated knowledge: mistralai/Mistral-Small-24B-Base-2501 is a base" in text
    assert result.sibling == "mistralai/Mistral-Small-24B-Instruct-2501"
    assert fake_hub.paths() == ["/api/models/someorg/KindheartedAphrodite"]


def test_the_same_reupload_offline_is_unknown(fake_hub: FakeHub) -> None:
    result = classify("someorg/KindheartedAphrodite")
    assert (result.kind, result.confidence) == ("unknown", "low")
    assert fake_hub.requests == []


def test_the_client_asks_for_the_expanded_fields(fake_hub: FakeHub) -> None:
    classify("someorg/KindheartedAphrodite", online=True)
    query = fake_hub.requests[0]["query"]
    assert isinstance(query, dict)
    assert {"cardData", "tags", "config", "baseModels", "siblings"} <= set(query["expand"])


def test_a_pinned_revision_uses_the_revision_endpoint(fake_hub: FakeHub) -> None:
    result = classify("someorg/KindheartedAphrodite@v1.0", online=True)
    assert result.kind == "base"
    assert fake_hub.paths() == ["/api/models/someorg/KindheartedAphrodite/revision/v1.0"]


# ------------------------------------------------------------------ lineage rules


def test_quantized_of_a_third_party_finetune_of_a_base(fake_hub: FakeHub) -> None:
    result = classify("anon/Moonpetal-AWQ", online=True)
    assert (result.kind, result.confidence) == ("instruct", "medium")
    text = " | ".join(result.evidence)
    assert "anon/Moonpetal-AWQ is a quantized of anon/Moonpetal (the Hub's baseModels relation)" in text
    assert "anon/Moonpetal is a finetune of Qwen/Qwen2.5-14B" in text
    assert "third-party fine-tune" in text
    assert fake_hub.paths() == ["/api/models/anon/Moonpetal-AWQ", "/api/models/anon/Moonpetal"]


def test_merge_with_a_chat_parent_is_chat(fake_hub: FakeHub) -> None:
    result = classify("anon/Frankenmerge-13B", online=True)
    assert result.kind == "instruct"
    assert any("merge" in e and "Llama-2-13b-chat-hf" in e for e in result.evidence)


def test_same_org_finetune_of_its_base_is_instruct_high(fake_hub: FakeHub) -> None:
    result = classify("labx/Lumen-7B", online=True)
    assert (result.kind, result.confidence) == ("instruct", "high")
    assert any("its own org's base model" in e for e in result.evidence)


def test_a_root_with_only_a_chat_template_stays_unknown(fake_hub: FakeHub) -> None:
    result = classify("anon/Mystery-13B", online=True)
    assert result.kind == "unknown"
    text = " | ".join(result.evidence)
    assert "declares no base_model" in text
    assert "not tuning evidence" in text


def test_the_root_parent_is_base_by_its_name_despite_a_chat_template(fake_hub: FakeHub) -> None:
    result = classify("labx/Lumen-7B-Pretrain", online=True)
    assert result.kind == "base"
    assert any("not tuning evidence" in e for e in result.evidence)


def test_continued_pretraining_of_a_base_stays_base(fake_hub: FakeHub) -> None:
    result = classify("anon/Qwen2.5-7B-LongCtx-Base", online=True)
    assert (result.kind, result.confidence) == ("base", "medium")
    assert any("continued pretraining" in e for e in result.evidence)


def test_a_renamed_repo_is_classified_under_its_canonical_id(fake_hub: FakeHub) -> None:
    result = classify("oldorg/legacy-qwen", online=True)
    assert (result.kind, result.confidence) == ("base", "high")
    assert any("is now Qwen/Qwen2.5-14B" in e for e in result.evidence)


def test_curated_ids_never_hit_the_network(fake_hub: FakeHub) -> None:
    assert classify("Qwen/Qwen2.5-14B", online=True).kind == "base"
    assert classify("TheBloke/Llama-2-7B-GPTQ", online=True).kind == "base"
    assert fake_hub.requests == []


def test_the_hub_is_asked_about_the_repo_as_written(fake_hub: FakeHub) -> None:
    classify("bartowski/acme_Opaque-7B-GGUF", online=True)
    classify("hf.co/someone/Opaque-13B-GGUF:Q4_K_M", online=True)
    assert fake_hub.paths() == [
        "/api/models/bartowski/acme_Opaque-7B-GGUF",
        "/api/models/someone/Opaque-13B-GGUF",
    ]


def test_overrides_win_before_the_hub_is_asked(fake_hub: FakeHub) -> None:
    override = ModelOverride("someorg/*", "instruct", "pyproject.toml [tool.vlint] models.instruct")
    result = classify("someorg/KindheartedAphrodite", online=True, overrides=[override])
    assert (result.kind, result.confidence) == ("instruct", "high")
    assert result.evidence == (
        "override: 'someorg/*' declares this model instruct (pyproject.toml [tool.vlint] models.instruct)",
    )
    assert fake_hub.requests == []


def test_ollama_tags_and_paths_are_not_hub_ids(fake_hub: FakeHub) -> None:
    assert classify("llama3.1:8b", online=True).kind == "instruct"
    assert classify("/nonexistent/models/Foo-7B", online=True).kind == "unknown"
    assert fake_hub.requests == []


# ------------------------------------------------------------------ failures fall back to the offline answer


def test_missing_repo_keeps_the_offline_answer_with_a_note(fake_hub: FakeHub) -> None:
    result = classify("acme/private-model-sft", online=True)
    assert result.kind == classify_name("acme/private-model-sft").kind == "instruct"
    assert any("was not found on the Hub" in e for e in result.evidence)


def test_gated_repo_keeps_the_offline_answer_with_a_note(fake_hub: FakeHub) -> None:
    fake_hub.gated.add("someorg/KindheartedAphrodite")
    result = classify("someorg/KindheartedAphrodite", online=True)
    assert result.kind == "unknown"
    assert any("is gated" in e for e in result.evidence)


def test_closed_port_finishes_quickly_with_the_offline_answer(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    started = time.monotonic()
    result = classify("someorg/KindheartedAphrodite", online=True)
    assert time.monotonic() - started < 10
    assert (result.kind, result.confidence) == ("unknown", "low")
    assert any("the Hub did not answer" in e for e in result.evidence)
    # a re-upload of a known family still gets its name answer
    assert classify("acme/Qwen2.5-7B-Instruct-GGUF", online=True).kind == "instruct"


def test_an_unreachable_hub_is_asked_once_per_run(fake_hub: FakeHub) -> None:
    fake_hub.broken = True
    first = classify("someorg/KindheartedAphrodite", online=True)
    second = classify("anon/Mystery-13B", online=True)
    assert first.kind == second.kind == "unknown"
    assert len(fake_hub.requests) == 1
    assert any("not asked again" in e for e in second.evidence)
    hub.forget_failures()
    fake_hub.broken = False
    assert classify("someorg/KindheartedAphrodite", online=True).kind == "base"


def test_hf_hub_offline_means_no_request(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = classify("someorg/KindheartedAphrodite", online=True)
    assert result.kind == "unknown"
    assert any("HF_HUB_OFFLINE is set" in e for e in result.evidence)
    assert fake_hub.requests == []


# ------------------------------------------------------------------ the token


def test_token_is_sent_but_never_stored_or_shown(
    fake_hub: FakeHub, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    results = [
        classify(m, online=True)
        for m in ("someorg/KindheartedAphrodite", "anon/Moonpetal-AWQ", "acme/not-there-sft")
    ]
    auth = [str(r["headers"].get("authorization", "")) for r in fake_hub.requests]  # type: ignore[union-attr]
    assert auth and all(a == f"Bearer {TOKEN}" for a in auth)
    for result in results:
        assert TOKEN not in repr(result)
    files = [p for p in isolated_env.rglob("*") if p.is_file()]
    assert files, "the answers were cached"
    for path in files:
        assert TOKEN not in path.read_text(encoding="utf-8")
        assert "Bearer" not in path.read_text(encoding="utf-8")


def test_token_not_in_evidence_when_the_hub_fails(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    result = classify("someorg/KindheartedAphrodite", online=True)
    assert TOKEN not in repr(result)


# ------------------------------------------------------------------ the cache


def test_second_run_is_served_from_the_cache(fake_hub: FakeHub, isolated_env: Path) -> None:
    first = classify("someorg/KindheartedAphrodite", online=True)
    assert len(fake_hub.requests) == 1
    second = classify("someorg/KindheartedAphrodite", online=True)
    assert second == first
    assert len(fake_hub.requests) == 1
    assert len(list((isolated_env / "hub").glob("*.json"))) == 1


def test_cache_entries_expire(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    classify("someorg/KindheartedAphrodite", online=True)
    monkeypatch.setenv("VLINT_CACHE_TTL", "0")
    time.sleep(0.01)
    classify("someorg/KindheartedAphrodite", online=True)
    assert len(fake_hub.requests) == 2


def test_cached_answer_works_when_the_hub_is_gone(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    classify("someorg/KindheartedAphrodite", online=True)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    assert classify("someorg/KindheartedAphrodite", online=True).kind == "base"


def test_clear_cache_counts_entries(fake_hub: FakeHub, isolated_env: Path) -> None:
    classify("anon/Moonpetal-AWQ", online=True)
    assert clear_cache() == 2
    assert clear_cache() == 0
    assert list((isolated_env / "hub").iterdir()) == []


def test_cache_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_module.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("VLINT_CACHE_DIR")
    assert cache_module.cache_dir() == tmp_path / "x" / "vlint"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_module.cache_dir() == tmp_path / "home" / ".cache" / "vlint"


def test_cache_is_keyed_by_revision_and_survives_concurrent_writers(tmp_path: Path) -> None:
    store = HubCache(tmp_path / "hub")
    store.put("org/m", None, {"v": "main"})
    store.put("org/m", "abc", {"v": "abc"})
    assert store.get("org/m") == {"v": "main"}
    assert store.get("ORG/M", "abc") == {"v": "abc"}
    assert store.get("org/m", "zzz") is None

    def writer(n: int) -> None:
        for i in range(50):
            store.put("org/busy", None, {"writer": n, "i": i, "pad": "x" * 2000})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entry = store.get("org/busy")
    assert entry is not None and entry["i"] == 49 and len(entry["pad"]) == 2000
    assert [p.name for p in (tmp_path / "hub").iterdir() if p.name.startswith(".tmp-")] == []


def test_corrupt_cache_entries_are_ignored(tmp_path: Path) -> None:
    store = HubCache(tmp_path / "hub")
    store.put("org/m", None, {"v": 1})
    for path in (tmp_path / "hub").glob("*.json"):
        path.write_text("{not json", encoding="utf-8")
    assert store.get("org/m") is None


def test_an_unwritable_cache_is_not_an_error(
    fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("VLINT_CACHE_DIR", str(blocker))
    assert classify("someorg/KindheartedAphrodite", online=True).kind == "base"


# ------------------------------------------------------------------ record extraction


def test_record_from_model_info_reads_every_lineage_shape() -> None:
    from huggingface_hub.hf_api import ModelInfo

    data = json.loads((FIXTURES / "anon__Moonpetal-AWQ.json").read_text(encoding="utf-8"))
    record = hub.record_from_model_info(ModelInfo(**data), "anon/Moonpetal-AWQ")
    assert record.parents == ("anon/Moonpetal",)
    assert record.relation == "quantized"
    assert record.quantized
    data["baseModels"] = None
    record = hub.record_from_model_info(ModelInfo(**data), "anon/Moonpetal-AWQ")
    assert (record.parents, record.relation) == (("anon/Moonpetal",), "quantized")  # from the tags
    assert hub.HubRecord.from_json(record.to_json()) == record


def test_environment_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    assert hub.offline_reason() is None
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    assert hub.offline_reason() == "TRANSFORMERS_OFFLINE is set"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
