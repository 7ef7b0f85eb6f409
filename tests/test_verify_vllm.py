"""Real tier of --verify: the actual vLLM engine on the CPU, on tiny Qwen2 models built offline.

- tests/fixtures/echo-model was trained (scripts/make_echo_model.py) to repeat its user message:
  verify must say "confirmed".
- The same architecture with random seed-0 weights, built here: verify must not say "confirmed"
  (its chat replies are newlines and then a loop: empty or repetitive output, never echo).

vLLM lives in its own venv, `.venv-vllm`, made by `.ci/setup-vllm.sh`. Without it these tests skip,
or fail when VLINT_REQUIRE_VLLM=1 (CI sets that, so a broken install cannot pass silently).
It runs `vlint scan . --verify` on a fixture project, as CI and users do. Each model's engine starts
once per module (~30-60 s each on two cores).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.vllm

ROOT = Path(__file__).resolve().parent.parent
# VLINT_VLLM_PYTHON points the tier at another interpreter with vllm (a GPU runner's, say).
VLLM_PYTHON = Path(os.environ.get("VLINT_VLLM_PYTHON") or ROOT / ".venv-vllm" / "bin" / "python")
ECHO_MODEL = ROOT / "tests" / "fixtures" / "echo-model"
MODEL_ID = "Qwen/Qwen2.5-0.5B"  # a base model by vlint's knowledge; mapped to the tiny models below
USER_MESSAGE = "Write a short summary of the meeting notes."

CLIENT_CODE = f'''\
from openai import OpenAI

client = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")
reply = client.chat.completions.create(
    model="{MODEL_ID}",
    temperature=0.1,
    messages=[{{"role": "user", "content": "{USER_MESSAGE}"}}],
)
print(reply.choices[0].message.content)
'''


def _offline_env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def vllm_python() -> str:
    has_vllm = (
        VLLM_PYTHON.exists()
        and subprocess.run(
            [
                str(VLLM_PYTHON),
                "-c",
                "import importlib.util,sys; sys.exit(importlib.util.find_spec('vllm') is None)",
            ],
        ).returncode
        == 0
    )
    if not has_vllm:
        message = f"the real vLLM tier needs {VLLM_PYTHON} with vllm installed: run .ci/setup-vllm.sh"
        if os.environ.get("VLINT_REQUIRE_VLLM") == "1":
            pytest.fail(message + " (VLINT_REQUIRE_VLLM=1)", pytrace=False)
        pytest.skip(message)
    return str(VLLM_PYTHON)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "app.py").write_text(CLIENT_CODE)
    return root


def run_cli(project: Path, model_dir: Path, out: Path, *extra: str) -> tuple[int, dict, str]:
    """`vlint scan . --verify` in the project, as a user or CI runs it; returns (exit, JSON report, stderr)."""
    report = out / "report.json"
    argv = [
        "scan",
        ".",
        "--verify",
        "--model-path",
        f"{MODEL_ID}={model_dir}",
        "--format",
        "json",
        "--output",
        str(report),
        *extra,
    ]
    # An empty Hugging Face cache: a developer's cached Qwen2.5-0.5B-Instruct must not join as a control.
    env = {**_offline_env(), "VLINT_VLLM_PYTHON": str(VLLM_PYTHON), "HF_HOME": str(out / "hf-home")}
    done = subprocess.run(
        [sys.executable, "-m", "vlint.cli", *argv],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return done.returncode, data, done.stderr


def replayed(data: dict, rule: str) -> dict:
    (finding,) = [f for f in data.get("findings", []) if f["rule"] == rule and f["path"] == "app.py"]
    assert "verify" in finding, f"{rule} was not replayed: {finding}"
    return finding


@pytest.fixture(scope="module")
def random_model(vllm_python: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("random-model")
    subprocess.run(
        [vllm_python, str(ROOT / "scripts" / "make_echo_model.py"), "--random", str(out)],
        check=True,
        env=_offline_env(),
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def echo_run(vllm_python: str, project: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("echo-out")
    started = time.monotonic()
    code, data, stderr = run_cli(
        project,
        ECHO_MODEL,
        out,
        "--engine-arg",
        "max_model_len=128",
        "--verify-report",
        str(out / "verify.html"),
    )
    return code, data, stderr, out, time.monotonic() - started


@pytest.fixture(scope="module")
def random_run(vllm_python: str, project: Path, random_model: Path, tmp_path_factory: pytest.TempPathFactory):
    return run_cli(project, random_model, tmp_path_factory.mktemp("random-out"))


def test_echo_model_through_chat_at_low_temperature_is_confirmed(echo_run) -> None:
    code, data, stderr, _, _ = echo_run
    finding = replayed(data, "VL001")
    verify = finding["verify"]
    assert verify["verdict"] == "confirmed", verify["reason"]
    assert verify["echo_rate"] >= 0.8
    assert (
        verify["control_echo_rate"] is not None and verify["control_echo_rate"] <= verify["echo_rate"] - 0.3
    )
    assert finding["confidence"] == "high"
    assert len(verify["samples"]) == 8 * 6  # default 8 samples of the literal message and of 5 probes
    literal = [s for s in verify["samples"] if s["prompt"] == USER_MESSAGE]
    assert len(literal) == 8
    assert any(s["output"].strip() == USER_MESSAGE for s in literal), literal[:2]
    assert code == 1, stderr[-2000:]  # a confirmed finding fails the run


def test_findings_on_the_same_call_share_one_engine(echo_run) -> None:
    _, data, stderr, _, _ = echo_run
    assert replayed(data, "VL002")["verify"]["verdict"] == "confirmed"
    assert stderr.count("loading ") == 1, stderr[-3000:]  # progress: one model load for both findings


def test_engine_args_pass_through_and_cpu_defaults_apply(echo_run) -> None:
    verify = replayed(echo_run[1], "VL001")["verify"]
    assert verify["device"] == "cpu"
    assert verify["engine_args"]["max_model_len"] == 128  # given with --engine-arg
    assert verify["engine_args"]["enforce_eager"] is True  # CPU default
    assert verify["engine_args"]["trust_remote_code"] is False
    assert verify["trust_remote_code"] is False


def test_random_model_is_not_confirmed_and_barely_echoes(random_run) -> None:
    _, data, stderr = random_run
    finding = replayed(data, "VL001")
    verify = finding["verify"]
    assert verify["verdict"] in ("degenerate", "not-reproduced"), verify["reason"]
    assert verify["echo_rate"] <= 0.1
    # Its chat replies are newlines, then a loop: empty or repetitive, never echo.
    assert verify["empty_rate"] + verify["degenerate_rate"] >= 0.5, verify["samples"][:4]
    assert all(s["category"] == "empty" for s in verify["samples"] if not s["output"].strip())


def test_html_report_from_a_real_run(echo_run) -> None:
    page = (echo_run[3] / "verify.html").read_text()
    assert "confirmed" in page and USER_MESSAGE in page


def test_real_tier_timing(echo_run) -> None:
    timings = replayed(echo_run[1], "VL001")["verify"]["timings"]
    assert timings["load_s"] > 0 and timings["generate_s"] < 30
    print(f"echo model: vlint scan --verify took {echo_run[4]:.1f} s; engine {timings}", file=sys.stderr)
