"""`vlint probe` against a stand-in OpenAI-compatible server on 127.0.0.1 (real sockets, real HTTP).

The stand-in (tests/openai_standin.py) answers like vLLM and misbehaves on demand; the real vLLM server
is tests/test_probe_vllm.py. Every test runs the CLI as a user does (`main(argv)`), reads what it printed,
and checks what the server received.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest
from openai_standin import ANSWER, Behaviour, StandInServer

from vlint.cli import main
from vlint.verify.probes import PROBES

REPO = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json"
KEY = "sk-probe-test-4f1c9a7e2b"
QWEN_BASE = {"id": "qwen", "object": "model", "owned_by": "vllm", "root": "Qwen/Qwen2.5-14B", "max_model_len": 32768}
QWEN_INSTRUCT = {"id": "qwen", "object": "model", "owned_by": "vllm", "root": "Qwen/Qwen2.5-14B-Instruct"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key and no proxy from the developer's shell: requests go straight to 127.0.0.1."""
    for name in ("OPENAI_API_KEY", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def serve():
    started: list[StandInServer] = []

    def start(**behaviour) -> StandInServer:
        server = StandInServer(Behaviour(**behaviour)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def probe(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["probe", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def probe_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict, str]:
    code, out, err = probe(capsys, *argv, "--format", "json")
    return code, json.loads(out), err


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------------ the cases


def test_base_root_whose_chat_echoes_exits_1_and_names_the_root_base(serve, capsys) -> None:
    server = serve(models=[QWEN_BASE], chat="echo")
    code, data, _ = probe_json(capsys, server.url)
    assert code == 1
    (endpoint,) = data["endpoints"]
    assert endpoint["url"] == server.url and endpoint["error"] is None
    (model,) = endpoint["models"]
    assert (model["id"], model["root"], model["kind"]) == ("qwen", "Qwen/Qwen2.5-14B", "base")
    assert model["confidence"] == "high" and model["instead"] == "Qwen/Qwen2.5-14B-Instruct"
    assert any("Qwen/Qwen2.5-14B is a base" in e for e in model["evidence"])
    probe_result = model["probe"]
    assert probe_result["verdict"] == "confirmed"
    assert (probe_result["echo_rate"], probe_result["control_echo_rate"]) == (1.0, 0.0)
    assert len(probe_result["samples"]) == 2 * len(PROBES)  # default: 2 samples of each probe prompt
    assert all(s["output"] == s["prompt"] and s["category"] == "echo" for s in probe_result["samples"])
    # What the server received: the alias, at the seed incident's 0.1, one seed per sample; the control
    # through the completions API at 0.8.
    chats = server.posts("/v1/chat/completions")
    assert len(chats) == 2 * len(PROBES)
    assert {c.body["model"] for c in chats} == {"qwen"} and {c.body["temperature"] for c in chats} == {0.1}
    assert {c.body["seed"] for c in chats} == {0, 1}
    controls = server.posts("/v1/completions")
    assert len(controls) == 2 * len(PROBES) and {c.body["temperature"] for c in controls} == {0.8}
    assert all(c.body["prompt"].startswith("Question: ") for c in controls)
    assert endpoint["requests"] == 1 + len(chats) + len(controls)


def test_instruct_root_that_answers_exits_0_without_chat_requests(serve, capsys) -> None:
    server = serve(models=[QWEN_INSTRUCT], chat="answer")
    code, data, _ = probe_json(capsys, server.url)
    assert code == 0
    (model,) = data["endpoints"][0]["models"]
    assert model["kind"] == "instruct" and model["probe"] is None
    assert [h.path for h in server.hits] == ["/v1/models"]  # a chat model is not probed by default


@pytest.mark.slow
def test_api_key_from_openai_api_key_is_sent_and_never_printed(serve, capsys, monkeypatch, tmp_path) -> None:
    server = serve(models=[QWEN_BASE], chat="echo", require_key=KEY, quote_auth=True)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(
        "from openai import OpenAI\n"
        f"client = OpenAI(base_url={server.url!r})\n"
        "client.chat.completions.create(model='qwen', temperature=0.1,\n"
        "                               messages=[{'role': 'user', 'content': 'Summarise the notes.'}])\n"
    )
    code, data, err = probe_json(capsys, server.url)
    assert code == 1 and data["endpoints"][0]["models"][0]["probe"]["verdict"] == "confirmed"
    assert all(h.headers.get("Authorization") == f"Bearer {KEY}" for h in server.hits)
    # The server quoted the key back in every chat output: the report masks it.
    assert "<redacted>" in json.dumps(data)
    outputs = [json.dumps(data), err]
    code, text, err = probe(capsys, server.url)
    outputs += [text, err]
    sarif_file = tmp_path / "probe.sarif"
    code, out, err = probe(capsys, server.url, "--project", str(project), "--format", "sarif", "-o", str(sarif_file))
    assert code == 1
    outputs += [out, err, sarif_file.read_text()]
    assert json.loads(sarif_file.read_text())["runs"][0]["results"]
    for output in outputs:
        assert KEY not in output


def test_the_key_is_not_printed_when_refused_and_missing_keys_are_named(serve, capsys, monkeypatch) -> None:
    server = serve(models=[QWEN_BASE], require_key=KEY, quote_auth=True)
    code, _, err = probe(capsys, server.url)
    assert code == 2
    assert "HTTP 401" in err and "no API key was sent ($OPENAI_API_KEY is not set)" in err
    monkeypatch.setenv("PROBE_KEY", "sk-wrong-" + KEY)
    code, out, err = probe(capsys, server.url, "--api-key-env", "PROBE_KEY")
    assert code == 2 and "the API key from $PROBE_KEY was refused" in err
    assert KEY not in out + err and "<redacted>" in err  # the server quoted the wrong key back: masked
    code, _, err = probe(capsys, server.url, "--api-key-env", "UNSET_PROBE_KEY")
    assert code == 2 and "--api-key-env UNSET_PROBE_KEY: the variable is not set" in err
    monkeypatch.setenv("PROBE_KEY", KEY + "\r\nX-Injected: 1")
    code, out, err = probe(capsys, server.url, "--api-key-env", "PROBE_KEY")
    assert code == 2 and "cannot be sent in an HTTP header" in err and KEY not in out + err
    assert len(server.hits) == 2  # the bad key never left


def test_closed_port_exits_2_with_one_line(capsys) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code, data, err = probe_json(capsys, url)
    assert code == 2
    assert data["endpoints"][0]["error"].startswith("connection refused")
    (line,) = [line for line in err.splitlines() if line.startswith("vlint: probe ")]
    assert url in line and "connection refused" in line


# ------------------------------------------------------------------------------------------ faults


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ({"status": {"/v1/models": 404}}, "/models: HTTP 404 (not an OpenAI-compatible API at this URL?)"),
        ({"status": {"/v1/models": 500}}, "/models: HTTP 500: stand-in error 500"),
        ({"status": {"/v1/models": 503}}, "/models: HTTP 503"),
        ({"raw": {"/v1/models": b"<html>Welcome to nginx</html>"}}, "HTTP 200 but the answer is not JSON"),
        ({"raw": {"/v1/models": b'{"object": "list"}'}}, "has no `data` list"),
        ({"raw": {"/v1/models": b"[" * 200_000 + b"]" * 200_000}}, "HTTP 200 but the answer is not JSON"),
        ({"raw": {"/v1/models": b"x" * (5 << 20)}}, "over the 4194304-byte limit"),
        ({"raw": {"/v1/models": b"x" * (5 << 20)}, "unsized": True}, "over the 4194304-byte limit"),
    ],
    ids=["404", "500", "503", "html", "no-data", "deeply-nested", "oversized", "oversized-no-length"],
)
def test_endpoint_faults_exit_2_with_one_line_each(serve, capsys, behaviour, expected) -> None:
    server = serve(models=[QWEN_BASE], **behaviour)
    code, data, err = probe_json(capsys, server.url)
    assert code == 2
    assert expected in data["endpoints"][0]["error"]
    assert len([line for line in err.splitlines() if line.startswith("vlint: probe ")]) == 1
    assert [h.path for h in server.hits] == ["/v1/models"]


def test_timeout_is_bounded(serve, capsys) -> None:
    server = serve(models=[QWEN_BASE], delay_s={"/v1/models": 5.0})
    started = time.monotonic()
    code, data, _ = probe_json(capsys, server.url, "--timeout", "0.5")
    assert time.monotonic() - started < 3.0
    assert code == 2 and data["endpoints"][0]["error"] == "timed out after 0.5 s"


def test_a_fault_during_the_chat_probe_fails_the_endpoint_but_keeps_the_listing(serve, capsys) -> None:
    server = serve(models=[QWEN_BASE], status={"/v1/chat/completions": 502})
    code, data, err = probe_json(capsys, server.url)
    assert code == 2
    endpoint = data["endpoints"][0]
    assert endpoint["error"].startswith("/chat/completions: HTTP 502")
    assert endpoint["models"][0]["kind"] == "base"
    assert len(server.posts("/v1/chat/completions")) == 1  # stopped at the first 5xx


def test_redirect_to_another_host_is_not_followed_and_the_key_stays(serve, capsys, monkeypatch) -> None:
    elsewhere = serve(models=[QWEN_BASE])
    # `localhost` is another host name than 127.0.0.1 (the same machine, so the test stays on loopback).
    server = serve(redirect={"/v1/models": (302, f"http://localhost:{elsewhere.port}/v1/models")})
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    code, data, err = probe_json(capsys, server.url)
    assert code == 2
    assert "redirect to another host (http://localhost:" in data["endpoints"][0]["error"]
    assert elsewhere.hits == [] and KEY not in err
    # The same port under another host name is another host too (were it followed, this server would
    # see the request for /v1/elsewhere).
    server.behaviour.redirect = {"/v1/models": (307, f"http://localhost:{server.port}/v1/elsewhere")}
    code, data, _ = probe_json(capsys, server.url)
    assert code == 2 and "redirect to another host" in data["endpoints"][0]["error"]
    assert [h.path for h in server.hits] == ["/v1/models", "/v1/models"]


def test_redirect_on_the_same_host_is_followed(serve, capsys) -> None:
    server = serve(models=[QWEN_INSTRUCT], redirect={"/models": (308, "/v1/models")})
    code, data, _ = probe_json(capsys, server.url.removesuffix("/v1"))  # the /v1 may be omitted ...
    assert code == 0 and data["endpoints"][0]["models"][0]["kind"] == "instruct"
    server.behaviour.redirect = {"/v1/models": (301, "/v1/models")}  # ... and redirect loops end
    code, data, _ = probe_json(capsys, server.url + "/")
    assert code == 2 and "more than 3 redirects" in data["endpoints"][0]["error"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://127.0.0.1/v1", "expected an http:// or https:// URL"),
        ("http://user:hunter2secret@127.0.0.1:9/v1", "credentials in the URL are not supported"),
        ("http://127.0.0.1:9/v1?api_key=hunter2secret", "a base URL has no query or fragment"),
    ],
)
def test_unusable_urls_exit_2_without_printing_credentials(capsys, url, expected) -> None:
    code, data, err = probe_json(capsys, url)
    assert code == 2 and expected in data["endpoints"][0]["error"]
    assert "hunter2secret" not in json.dumps(data) + err


# ------------------------------------------------------------------------------------------ other servers


def test_servers_without_root_are_classified_by_their_served_name(serve, capsys) -> None:
    server = serve(
        models=[
            {"id": "meta-llama/Llama-3.1-8B", "object": "model", "owned_by": "sglang", "root": "meta-llama/Llama-3.1-8B"},
            {"id": "mistralai/Mistral-7B-Instruct-v0.3", "object": "model", "owned_by": "tgi"},
            {"id": "no-idea-v2", "object": "model", "owned_by": "llamacpp"},
        ],
        chat="answer",
    )
    code, data, _ = probe_json(capsys, server.url)
    by_id = {m["id"]: m for m in data["endpoints"][0]["models"]}
    sglang, tgi, llamacpp = by_id.values()
    assert sglang["kind"] == "base" and "lists the served name as `root`" in sglang["evidence"][0]
    assert tgi["kind"] == "instruct" and "lists no `root`" in tgi["evidence"][0] and tgi["probe"] is None
    assert llamacpp["kind"] == "unknown" and llamacpp["probe"]["verdict"] == "not-reproduced"
    assert {s["output"] for s in llamacpp["probe"]["samples"]} == {ANSWER}
    assert sglang["probe"]["verdict"] == "not-reproduced"
    assert code == 1  # a base model is served and chat reaches it, even though these samples answered


def test_an_unknown_model_that_echoes_is_confirmed(serve, capsys) -> None:
    server = serve(models=[{"id": "prod-llm", "root": "/mnt/models/checkpoint-500"}], chat="echo")
    code, data, _ = probe_json(capsys, server.url)
    (model,) = data["endpoints"][0]["models"]
    assert model["kind"] == "unknown" and model["probe"]["verdict"] == "confirmed"
    assert code == 1


def test_a_root_that_says_nothing_leaves_an_alias_that_reads_instruct_unknown(serve, capsys) -> None:
    server = serve(models=[{"id": "qwen", "root": "/mnt/models/checkpoint-500"}], chat="answer")
    code, data, _ = probe_json(capsys, server.url)
    (model,) = data["endpoints"][0]["models"]
    assert model["kind"] == "unknown" and model["probe"]["verdict"] == "not-reproduced"
    assert any("alias is the operator's choice" in e for e in model["evidence"])
    assert code == 0  # unknown, and chat answered


def test_a_local_root_folder_is_read_here(serve, capsys, tmp_path) -> None:
    folder = tmp_path / "merged"
    folder.mkdir()
    (folder / "config.json").write_text('{"architectures": ["Qwen2ForCausalLM"]}')
    (folder / "README.md").write_text("---\nbase_model: Qwen/Qwen2.5-7B\nbase_model_relation: finetune\n---\n")
    server = serve(models=[{"id": "m", "root": str(folder)}], chat="answer")
    code, data, _ = probe_json(capsys, server.url, "--no-chat-probe")
    (model,) = data["endpoints"][0]["models"]
    assert any(f"local model path: {folder}" in e for e in model["evidence"])
    assert any("Qwen/Qwen2.5-7B" in e for e in model["evidence"])


def test_chat_refused_for_every_request_means_chat_does_not_reach_the_model(serve, capsys) -> None:
    server = serve(models=[QWEN_BASE], chat="refuse")
    code, data, _ = probe_json(capsys, server.url)
    probe_result = data["endpoints"][0]["models"][0]["probe"]
    assert probe_result["verdict"] == "skipped" and "chat template" in probe_result["reason"]
    assert len(server.posts("/v1/chat/completions")) == 1  # one refusal is enough
    assert code == 0


def test_no_chat_probe_and_a_small_request_budget(serve, capsys) -> None:
    server = serve(models=[QWEN_BASE])
    code, data, _ = probe_json(capsys, server.url, "--no-chat-probe")
    assert code == 1 and data["endpoints"][0]["models"][0]["probe"] is None  # base served: fails statically
    assert [h.method for h in server.hits] == ["GET"]
    code, data, _ = probe_json(capsys, server.url, "--max-requests", "5")
    probe_result = data["endpoints"][0]["models"][0]["probe"]
    assert probe_result["verdict"] == "skipped" and "--max-requests" in probe_result["reason"]
    assert data["endpoints"][0]["requests"] == 1 and code == 1


def test_missing_completions_control_is_said(serve, capsys) -> None:
    server = serve(models=[{"id": "x", "root": "/mnt/x"}], chat="echo", completions=False)
    code, data, _ = probe_json(capsys, server.url, "--samples", "1")
    probe_result = data["endpoints"][0]["models"][0]["probe"]
    assert probe_result["verdict"] == "confirmed" and probe_result["control_echo_rate"] is None
    assert "the completions control could not run" in probe_result["reason"]
    assert len(server.posts("/v1/completions")) == 1 and code == 1


def test_several_urls_one_failing(serve, capsys) -> None:
    server = serve(models=[QWEN_INSTRUCT])
    code, data, err = probe_json(capsys, server.url, f"http://127.0.0.1:{closed_port()}")
    assert code == 2
    good, bad = data["endpoints"]
    assert good["error"] is None and good["models"][0]["kind"] == "instruct"
    assert bad["error"].startswith("connection refused")


# ------------------------------------------------------------------------------------------ untrusted text


def test_served_text_is_escaped_in_every_output(serve, capsys, tmp_path) -> None:
    evil_id = "\x1b[31mred\x1b[0m\n::error file=x::pwned\u202eevil"
    server = serve(models=[{"id": evil_id, "root": "/mnt/\x07bell\r\n::warning::x"}], chat="echo")
    code, text, err = probe(capsys, server.url)
    for output in (text, err):
        assert not any(ord(c) < 0x20 and c != "\n" for c in output)
        assert "\u202e" not in output and "\x1b" not in output
        assert not any(line.lstrip().startswith("::") for line in output.splitlines())
        assert "##[" not in output
    assert "\\x1b[31mred" in text
    code, out, _ = probe(capsys, server.url, "--format", "json")
    assert "\x1b" not in out and "\u202e" not in out
    assert json.loads(out)["endpoints"][0]["models"][0]["id"] == evil_id  # escaped, not changed


def test_long_outputs_are_truncated(serve, capsys) -> None:
    server = serve(models=[{"id": "x", "root": "/mnt/x"}], chat="long")
    code, data, _ = probe_json(capsys, server.url, "--samples", "1")
    samples = data["endpoints"][0]["models"][0]["probe"]["samples"]
    assert len(samples) == len(PROBES)
    assert all(len(s["output"]) == 200 and s["output"].endswith("…") for s in samples)
    code, text, _ = probe(capsys, server.url, "--samples", "1")
    assert max(len(line) for line in text.splitlines() if "chat: " in line) < 300


# ------------------------------------------------------------------------------------------ TLS


@pytest.fixture
def tls_server(serve, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    server = serve(models=[QWEN_INSTRUCT])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server, cert


def test_tls_is_verified_and_ca_bundle_trusts_a_private_ca(tls_server, capsys) -> None:
    server, cert = tls_server
    url = f"https://127.0.0.1:{server.port}/v1"
    code, data, _ = probe_json(capsys, url)
    assert code == 2 and "TLS certificate verification failed" in data["endpoints"][0]["error"]
    assert "--ca-bundle" in data["endpoints"][0]["error"]
    code, data, _ = probe_json(capsys, url, "--ca-bundle", str(cert))
    assert code == 0 and data["endpoints"][0]["models"][0]["kind"] == "instruct"


# ------------------------------------------------------------------------------------------ --project


CLIENT = """\
from openai import OpenAI

client = OpenAI(base_url="{url}", api_key="EMPTY")
reply = client.chat.completions.create(
    model="{alias}",
    temperature={temperature},
    messages=[{{"role": "user", "content": "Summarise the meeting notes."}}],
)
"""


def _project(tmp_path: Path, url: str, alias: str, temperature: float) -> Path:
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    (root / "app.py").write_text(CLIENT.format(url=url, alias=alias, temperature=temperature))
    return root


def test_project_links_aliases_to_requests_and_probes_at_their_temperature(serve, capsys, tmp_path) -> None:
    server = serve(models=[QWEN_BASE], chat="echo")
    project = _project(tmp_path, server.url, "qwen", 0.3)
    code, data, _ = probe_json(capsys, server.url, "--project", str(project))
    assert code == 1
    (model,) = data["endpoints"][0]["models"]
    assert model["probe"]["temperature"] == 0.3
    (used_by,) = model["used_by"]
    assert used_by.endswith("app.py:4:9")
    assert {c.body["temperature"] for c in server.posts("/v1/chat/completions")} == {0.3}
    rules = sorted(f["rule"] for f in data["findings"])
    assert rules == ["VL001", "VL002"]
    for finding in data["findings"]:
        assert finding["path"].endswith("app.py") and finding["model"] == "qwen"
        assert finding["model_kind"] == "base" and finding["confidence"] == "high"
        assert finding["verify"]["method"] == "probe" and finding["verify"]["verdict"] == "confirmed"
        assert finding["verify"]["served_as"] == "qwen"
        assert any("from root `Qwen/Qwen2.5-14B`" in e for e in finding["evidence"])
        assert not any(e.startswith("override:") for e in finding["evidence"])
    code, out, _ = probe(capsys, server.url, "--project", str(project), "--format", "sarif")
    sarif = json.loads(out)
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    results = sarif["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["VL001", "VL002"]
    assert all(r["properties"]["verify"]["verdict"] == "confirmed" and r["rank"] == 100.0 for r in results)


def test_project_without_a_probe_keeps_findings_on_base_models_only(serve, capsys, tmp_path) -> None:
    server = serve(models=[QWEN_BASE, {"id": "mystery", "root": "/mnt/ckpt-9"}], chat="answer")
    project = _project(tmp_path, server.url, "qwen", 0.2)
    (project / "other.py").write_text(CLIENT.format(url=server.url, alias="mystery", temperature=0.2))
    code, data, _ = probe_json(capsys, server.url, "--project", str(project), "--no-chat-probe")
    assert code == 1
    assert {(f["rule"], f["model"], f["path"].rsplit("/", 1)[-1]) for f in data["findings"]} == {
        ("VL001", "qwen", "app.py"), ("VL002", "qwen", "app.py")}
    assert all("verify" not in f for f in data["findings"])
    mystery = data["endpoints"][0]["models"][1]
    assert mystery["kind"] == "unknown" and mystery["used_by"]  # linked, but nothing shows a problem


def test_project_unknown_alias_kept_when_the_probe_sees_an_echo(serve, capsys, tmp_path) -> None:
    server = serve(models=[{"id": "mystery", "root": "/mnt/ckpt-9"}], chat="echo")
    project = _project(tmp_path, server.url, "mystery", 0.7)
    code, data, _ = probe_json(capsys, server.url, "--project", str(project))
    assert code == 1
    (finding,) = data["findings"]  # VL001 only: 0.7 is above the temperature threshold
    assert finding["rule"] == "VL001" and finding["model_kind"] == "unknown"
    assert finding["message"].startswith("the chat probe saw `mystery`")
    assert finding["verify"]["verdict"] == "confirmed" and finding["verify"]["temperature"] == 0.7
    server.behaviour.chat = "answer"
    code, data, _ = probe_json(capsys, server.url, "--project", str(project))
    assert code == 0 and data["findings"] == []


def test_sarif_needs_a_project(serve, capsys) -> None:
    server = serve(models=[QWEN_BASE])
    code, _, err = probe(capsys, server.url, "--format", "sarif")
    assert code == 2 and "--format sarif needs --project" in err and server.hits == []


# ------------------------------------------------------------------------------------------ scan stays offline


def test_scan_never_sends_a_request(serve, capsys, tmp_path, monkeypatch) -> None:
    server = serve(models=[QWEN_BASE])
    project = _project(tmp_path, server.url, "Qwen/Qwen2.5-14B", 0.1)
    (project / "deploy.sh").write_text(f"curl {server.url}/chat/completions -d '{{\"model\": \"qwen\"}}'\n")
    connects: list[object] = []
    real_connect = socket.socket.connect

    def record(self, address):  # any connection at all, to anywhere
        connects.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", record)
    code = main(["scan", str(project), "--no-cache", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1 and {f["rule"] for f in findings} == {"VL001", "VL002"}  # it did read the project
    assert server.hits == [] and connects == []


# ------------------------------------------------------------------------------------------ client rules


@pytest.mark.parametrize(
    ("current", "target", "followed"),
    [
        ("http://h:8000/v1/models", "http://h:8000/v1/models/", True),
        ("http://h:8000/v1/models", "http://H:8000/x", True),  # host names are case-insensitive
        ("http://h/v1/models", "https://h/v1/models", True),  # up to https on the same host
        ("https://h/v1/models", "http://h/v1/models", False),  # never down to http: the key would be clear text
        ("http://h:8000/v1/models", "http://h:9000/v1/models", False),
        ("http://h:8000/v1/models", "http://other:8000/v1/models", False),
        ("http://h/v1/models", "http://h.evil.example/v1/models", False),
    ],
)
def test_redirect_rule(current: str, target: str, followed: bool) -> None:
    from vlint.probe.client import _same_host

    assert _same_host(current, target) is followed


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("http://h:8000", "http://h:8000/v1"),
        ("http://h:8000/", "http://h:8000/v1"),
        ("http://h:8000/v1/", "http://h:8000/v1"),
        ("https://gw.example/team/llm/v1", "https://gw.example/team/llm/v1"),
        ("https://gw.example/team/llm", "https://gw.example/team/llm/v1"),
    ],
)
def test_endpoint_base(given: str, base: str) -> None:
    from vlint.probe.client import endpoint_base

    assert endpoint_base(given) == base


def test_the_key_has_no_printable_form() -> None:
    from vlint.probe.client import Client, ClientSettings, Secret

    secret = Secret(KEY)
    client = Client("http://127.0.0.1:9/v1", ClientSettings(), secret)
    for text in (repr(secret), str(secret), f"{secret}", repr(client), repr(vars(client))):
        assert KEY not in text
    assert secret.mask(f'x {KEY} y "{KEY}"') == 'x <redacted> y "<redacted>"'
