"""Fast tier of --verify: the echo metric on hand-written outputs, verdicts against a fake engine.

No vLLM here: the fake engine stands in for the child process and answers each request the way a
base model, an instruct model or a broken model would.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from vlint.findings import Finding
from vlint.verify import VerifyOptions, VerifyUnavailable, verify_findings, write_html_report
from vlint.verify.engine import EngineJob, EngineResult, GeneratedText, ReplayRequest, RequestResult
from vlint.verify.metrics import (
    categorize,
    echo_score,
    is_degenerate,
    rates,
    score_output,
    starts_with_prompt,
)
from vlint.verify.probes import PROBES
from vlint.verify.replay import instruct_sibling_ids, resolve_model
from vlint.verify.verdict import judge

ROOT = Path(__file__).resolve().parent.parent
ECHO_MODEL = ROOT / "tests" / "fixtures" / "echo-model"
Q = "What is the capital of France?"


# ---------------------------------------------------------------- the metric


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (Q, "echo"),
        ("what is the capital of france", "echo"),  # case and punctuation do not hide an echo
        (
            "user\nWhat is the capital of France?\nassistant\nWhat is",
            "echo",
        ),  # a base model replaying the turn
        ("The capital of France is Paris.", "ok"),  # quoting part of the question is answering it
        ("Paris.", "ok"),
        ("", "empty"),
        ("\n" * 16, "empty"),  # the random model's chat output: whitespace is not an echo
        ("   \t ", "empty"),
        ("the the the the the the the the", "degenerate"),
        ("!!!!!!!!!!!!!!!!", "degenerate"),
        ("Paris Paris Paris Paris Paris Paris Paris Paris Paris", "degenerate"),
    ],
)
def test_categorize_hand_written_outputs(output: str, expected: str) -> None:
    assert categorize(output, Q) == expected


def test_echo_score_is_graded_not_boolean() -> None:
    assert echo_score(Q, Q) == 1.0
    assert echo_score("The capital of France is Paris.", Q) == pytest.approx(4 / 6)
    assert echo_score("Paris.", Q) == 0.0
    assert echo_score("", Q) == 0.0


def test_short_prompt_contained_in_an_answer_is_not_an_echo() -> None:
    assert categorize("Hi", "Hi") == "echo"
    assert categorize("Hi! How can I help you today?", "Hi") == "ok"


def test_long_prompt_echo_is_capped_so_a_length_limited_restatement_counts() -> None:
    prompt = " ".join(f"word{i}" for i in range(40))
    restated = " ".join(f"word{i}" for i in range(16))  # max_tokens cut it off after 16 words
    assert echo_score(restated, prompt) == 1.0


def test_starts_with_prompt() -> None:
    assert starts_with_prompt("What is the capital of France? Paris.", Q)
    assert not starts_with_prompt("Paris. What is the capital of France?", Q)


def test_vllm_echo_true_prefix_is_not_counted() -> None:
    rendered = "Question: Tell me a fact about the moon.\nAnswer:"
    scored = score_output(
        rendered + " It has no air.", "Tell me a fact about the moon.", rendered_prompt=rendered
    )
    assert scored.output == " It has no air."
    assert scored.category == "ok"


def test_ordinary_prose_is_not_degenerate() -> None:
    assert not is_degenerate("The moon is about a quarter of the size of the earth and has no air.")


def test_rates() -> None:
    outs = [score_output(t, Q) for t in [Q, Q, "\n", "Paris."]]
    r = rates(outs)
    assert (r.n, r.echo, r.empty, r.degenerate) == (4, 0.5, 0.25, 0.0)


# ---------------------------------------------------------------- the verdict


def _rates(texts: list[str]):
    return rates(score_output(t, Q) for t in texts)


def test_judge_confirmed_degenerate_not_reproduced() -> None:
    control = _rates(["Paris."] * 8)
    assert judge(_rates([Q] * 8), [control]).verdict == "confirmed"
    assert judge(_rates(["\n\n"] * 8), [control]).verdict == "degenerate"
    assert judge(_rates(["Paris."] * 8), [control]).verdict == "not-reproduced"


def test_judge_echo_that_the_control_shares_is_not_confirmed() -> None:
    assert judge(_rates([Q] * 8), [_rates([Q] * 6 + ["Paris."] * 2)]).verdict != "confirmed"


def test_judge_without_outputs_is_skipped() -> None:
    assert judge(rates([]), []).verdict == "skipped"


# ---------------------------------------------------------------- verify_findings against a fake engine


Answer = Callable[[ReplayRequest], str]


class FakeEngine:
    """Stands in for the vLLM child: `answer` decides each request's text; records the jobs it got."""

    def __init__(self, answer: Answer, error: str | None = None) -> None:
        self.answer = answer
        self.error = error
        self.jobs: list[EngineJob] = []

    def run(self, job: EngineJob, progress=None) -> EngineResult:
        self.jobs.append(job)
        if self.error:
            return EngineResult(error=self.error, error_kind="oom")
        return EngineResult(
            results={
                r.key: RequestResult(
                    outputs=tuple(GeneratedText(self.answer(r), "stop") for _ in range(r.samples))
                )
                for r in job.requests
            },
            device="fake",
        )


def user_text(request: ReplayRequest) -> str:
    if request.messages:
        return request.messages[-1][1]
    return request.prompt or ""


def base_model(request: ReplayRequest) -> str:
    """Echoes through chat, continues sensibly from a continuation prompt."""
    return user_text(request) if request.api == "chat" else " A plain answer in other words."


def instruct_model(request: ReplayRequest) -> str:
    return "Here is an answer in other words."


def broken_model(request: ReplayRequest) -> str:
    return "\n" * 16 if request.api == "chat" else " Some plain text that goes on."


def finding(rule: str = "VL001", model: str = "Qwen/Qwen2.5-0.5B", kind: str = "base", **kw) -> Finding:
    defaults = dict(
        api="chat", temperature=0.1, messages=(("user", "Write a short summary of the meeting notes."),)
    )
    defaults.update(kw)
    return Finding(
        rule=rule,
        name="base-model-chat",
        severity="error",
        confidence="medium",
        path="app.py",
        line=3,
        column=1,
        message="m",
        model=model,
        model_kind=kind,
        **defaults,
    )


@pytest.fixture(autouse=True)
def model_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A loadable-looking model directory that `options()` maps the finding's model id to."""
    path = tmp_path_factory.mktemp("model")
    (path / "config.json").write_text("{}")
    monkeypatch.setenv("VLINT_TEST_MODEL_DIR", str(path))
    return path


def options(**kw) -> VerifyOptions:
    import os

    return VerifyOptions(
        model_paths={"Qwen/Qwen2.5-0.5B": os.environ["VLINT_TEST_MODEL_DIR"]}, samples=2, **kw
    )


def test_echoing_base_model_is_confirmed_with_rates_and_samples() -> None:
    f = finding()
    verify_findings([f], options(), engine=FakeEngine(base_model))
    assert f.verify is not None
    assert f.verify["verdict"] == "confirmed"
    assert f.verify["echo_rate"] == 1.0
    assert f.verify["control_echo_rate"] == 0.0
    assert f.confidence == "high"
    prompts = {s["prompt"] for s in f.verify["samples"]}
    assert "Write a short summary of the meeting notes." in prompts  # the literal message is replayed
    assert set(PROBES) <= prompts  # plus the probe set
    assert len(f.verify["samples"]) == 2 * (1 + len(PROBES))
    json.dumps(f.verify)  # it goes into the JSON report as is


def test_model_that_answers_is_not_reproduced_and_keeps_its_confidence() -> None:
    f = finding()
    verify_findings([f], options(), engine=FakeEngine(instruct_model))
    assert f.verify is not None and f.verify["verdict"] == "not-reproduced"
    assert f.confidence == "medium"


def test_whitespace_output_is_degenerate_not_confirmed() -> None:
    f = finding()
    verify_findings([f], options(), engine=FakeEngine(broken_model))
    assert f.verify is not None
    assert f.verify["verdict"] == "degenerate"
    assert f.verify["echo_rate"] == 0.0 and f.verify["empty_rate"] == 1.0


def test_replay_uses_the_findings_shape_and_a_continuation_control(model_dir: Path) -> None:
    engine = FakeEngine(base_model)
    verify_findings([finding()], options(seed=7), engine=engine)
    (job,) = engine.jobs
    assert job.seed == 7 and job.model == str(model_dir.resolve())
    chats = [r for r in job.requests if r.api == "chat"]
    controls = [r for r in job.requests if r.api == "completion"]
    assert {r.temperature for r in chats} == {0.1}
    assert {r.temperature for r in controls} == {0.8}
    assert all(r.prompt and r.prompt.startswith("Question: ") for r in controls)


def test_completion_finding_replays_through_generate_at_its_temperature() -> None:
    engine = FakeEngine(lambda r: "Sure.")
    f = finding(
        rule="VL002",
        api="completion",
        temperature=0.0,
        messages=None,
        prompt="Tell me a fact about the moon.",
    )
    verify_findings([f], options(), engine=engine)
    finding_requests = [r for r in engine.jobs[0].requests if r.temperature == 0.0]
    assert finding_requests and all(r.api == "completion" for r in finding_requests)
    assert "Tell me a fact about the moon." in {r.prompt for r in finding_requests}


def test_unknown_temperature_replays_at_one() -> None:
    engine = FakeEngine(base_model)
    verify_findings([finding(temperature=None)], options(), engine=engine)
    assert {r.temperature for r in engine.jobs[0].requests if r.api == "chat"} == {1.0}


def test_vl001_and_vl002_on_one_call_share_one_engine_and_one_set_of_requests() -> None:
    engine = FakeEngine(base_model)
    a, b = finding("VL001"), finding("VL002")
    verify_findings([a, b], options(), engine=engine)
    assert len(engine.jobs) == 1
    keys = [r.key for r in engine.jobs[0].requests]
    assert len(keys) == len(set(keys))
    assert a.verify and b.verify and a.verify["verdict"] == b.verify["verdict"] == "confirmed"


def test_only_base_model_vl001_vl002_findings_are_replayed() -> None:
    others = [finding(kind="instruct"), finding(rule="VL003"), finding(kind="unknown")]
    engine = FakeEngine(base_model)
    verify_findings(others, options(), engine=engine)
    assert engine.jobs == []
    assert all(f.verify is None for f in others)


def test_model_not_local_is_skipped_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    f = finding(model="example-org/not-a-real-model-7b")
    engine = FakeEngine(base_model)
    verify_findings([f], options(), engine=engine, cwd=tmp_path)
    assert engine.jobs == []
    assert f.verify is not None and f.verify["verdict"] == "skipped"
    assert "not local" in f.verify["reason"] and "--model-path" in f.verify["reason"]
    assert f.verify["echo_rate"] is None


def test_engine_failure_is_skipped_with_its_kind() -> None:
    f = finding()
    verify_findings([f], options(), engine=FakeEngine(base_model, error="CUDA out of memory"))
    assert f.verify is not None and f.verify["verdict"] == "skipped"
    assert f.verify["reason"].startswith("oom:")


def test_model_resolution_order(tmp_path: Path) -> None:
    model_dir = tmp_path / "models" / "tiny"
    model_dir.mkdir(parents=True)
    (model_dir / "config.json").write_text("{}")
    opts = VerifyOptions(model_paths={"org/x": "models/tiny"})
    assert resolve_model("org/x", opts, cwd=tmp_path).source == str(model_dir)
    assert resolve_model("models/tiny", VerifyOptions(), cwd=tmp_path).how == "local directory"
    assert resolve_model("org/x", VerifyOptions(model_paths={"org/x": "nowhere"}), cwd=tmp_path).skip_reason
    assert (
        resolve_model("org/missing", VerifyOptions(allow_download=True), cwd=tmp_path).source == "org/missing"
    )


def test_instruct_sibling_names() -> None:
    assert "Qwen/Qwen2.5-14B-Instruct" in instruct_sibling_ids("Qwen/Qwen2.5-14B")
    assert "mistralai/Mistral-7B-Instruct-v0.1" in instruct_sibling_ids("mistralai/Mistral-7B-v0.1")
    assert "deepseek-ai/deepseek-llm-7b-chat" in instruct_sibling_ids("deepseek-ai/deepseek-llm-7b-base")
    assert "google/gemma-2-9b-it" in instruct_sibling_ids("google/gemma-2-9b")


def test_chat_template_file_is_sent_as_text(tmp_path: Path) -> None:
    (tmp_path / "tpl.jinja").write_text("{{ messages[0]['content'] }}")
    engine = FakeEngine(base_model)
    verify_findings([finding(chat_template="tpl.jinja")], options(), engine=engine, cwd=tmp_path)
    chats = [r for r in engine.jobs[0].requests if r.api == "chat"]
    assert {r.chat_template for r in chats} == {"{{ messages[0]['content'] }}"}


def test_html_report_is_self_contained_and_escaped(tmp_path: Path) -> None:
    f = finding(messages=(("user", "<script>alert(1)</script> please"),))
    verify_findings([f], options(), engine=FakeEngine(base_model))
    out = tmp_path / "report.html"
    write_html_report([f], out)
    page = out.read_text()
    assert "confirmed" in page and "Qwen/Qwen2.5-0.5B" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "http://" not in page and "https://" not in page  # no external assets


# ---------------------------------------------------------------- without vLLM


def test_without_vllm_verify_fails_fast_with_the_install_hint() -> None:
    # The dev venv has no vllm; the check must not load a model or scan anything first.
    started = time.monotonic()
    with pytest.raises(VerifyUnavailable, match=r"pip install 'vllm>=0.8'"):
        verify_findings([finding()], VerifyOptions(python=sys.executable))
    assert time.monotonic() - started < 10


def test_static_import_of_verify_does_not_import_vllm() -> None:
    import subprocess

    code = "import vlint.verify, sys; sys.exit('vllm' in sys.modules or 'torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ---------------------------------------------------------------- the fixture model


def test_probe_words_are_whole_tokens_of_the_echo_models_tokenizer() -> None:
    # The tiny echo model can only copy what its tokenizer keeps whole (it was trained on those tokens only: scripts/make_echo_model.py).
    vocab = json.loads((ECHO_MODEL / "tokenizer.json").read_text())["model"]["vocab"]
    import re

    for probe in PROBES:
        for i, word in enumerate(re.findall(r"\w+", probe)):
            token = word if i == 0 else "\u0120" + word  # byte-level BPE marks a leading space with Ġ
            assert token in vocab, f"{word!r} of probe {probe!r} is not one token of the echo model"


def test_local_instruct_sibling_is_a_second_control_in_its_own_engine(tmp_path: Path) -> None:
    sibling = tmp_path / "instruct"
    sibling.mkdir()
    (sibling / "config.json").write_text("{}")
    opts = VerifyOptions(
        model_paths={
            "Qwen/Qwen2.5-0.5B": str(tmp_path / "base"),
            "Qwen/Qwen2.5-0.5B-Instruct": str(sibling),
        },
        samples=2,
    )
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "config.json").write_text("{}")

    def answer(request: ReplayRequest) -> str:  # both engines echo through chat: the prompt asks for it
        return base_model(request)

    engine = FakeEngine(answer)
    f = finding()
    verify_findings([f], opts, engine=engine, cwd=tmp_path)
    assert [job.model for job in engine.jobs] == [str((tmp_path / "base").resolve()), str(sibling.resolve())]
    assert f.verify is not None
    assert f.verify["instruct_model"] == "Qwen/Qwen2.5-0.5B-Instruct"
    assert f.verify["instruct_echo_rate"] == 1.0
    # The instruct model echoes too, so the echo is not the base model's fault: not confirmed.
    assert f.verify["verdict"] != "confirmed"


def test_cli_verify_without_vllm_exits_2_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from vlint.cli import main

    (tmp_path / "app.py").write_text(
        "from openai import OpenAI\n"
        "OpenAI().chat.completions.create(model='Qwen/Qwen2.5-0.5B', temperature=0.1,\n"
        "    messages=[{'role': 'user', 'content': 'Hello'}])\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VLINT_VLLM_PYTHON", sys.executable)  # the dev venv: no vllm
    assert main(["scan", ".", "--verify", "--no-cache"]) == 2
    assert "pip install 'vllm>=0.8'" in capsys.readouterr().err


def test_check_available_names_the_interpreter_it_checked() -> None:
    from vlint.verify import check_available

    with pytest.raises(VerifyUnavailable, match="/nonexistent/python"):
        check_available(VerifyOptions(python="/nonexistent/python"))


def test_model_without_chat_template_is_skipped_with_that_reason() -> None:
    refusal = (
        "ChatTemplateResolutionError: As of transformers v4.44, default chat template is no longer "
        "allowed, so you must provide a chat template if the tokenizer does not define one."
    )

    class NoTemplateEngine(FakeEngine):
        def run(self, job: EngineJob, progress=None) -> EngineResult:
            results = {
                r.key: RequestResult(error=refusal)
                if r.api == "chat"
                else RequestResult(outputs=(GeneratedText("Paris."),))
                for r in job.requests
            }
            return EngineResult(results=results, device="fake")

    f = finding()
    verify_findings([f], options(), engine=NoTemplateEngine(base_model))
    assert f.verify is not None and f.verify["verdict"] == "skipped"
    assert "no chat template" in f.verify["reason"] and "HTTP 400" in f.verify["reason"]
