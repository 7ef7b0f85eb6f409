"""Evidence applies where a request goes (issue 18, evidence scope), and names nothing serves are guesses
(issue 17 item 5).

A `--chat-template`, an instruct `--tokenizer` or a server-side default temperature on one launch of a model
says something about the requests that reach that launch, not about every client of the model in the
repository. And a request's org-less model name that no launch in the project serves (`llama3.2-1B`,
`qwen2.5-7b`) may be any server's alias for anything: low confidence, with the reason."""

from __future__ import annotations

from tests.conftest import rule_lines, scan_dir

CHAT = """
from openai import OpenAI
client = OpenAI(base_url="{base}", api_key="EMPTY")
client.chat.completions.create(model="{model}", messages=[{{"role": "user", "content": "Hello"}}])
"""

# A monorepo with two deployments of the same base model: one of them chats on purpose with a template.
TWO_DEPLOYMENTS = {
    "services/templated/serve.sh": "vllm serve Qwen/Qwen2.5-7B --port 8001 --chat-template ./chatml.jinja\n",
    "services/plain/serve.sh": "vllm serve Qwen/Qwen2.5-7B --port 8002\n",
}


def test_a_template_on_one_launch_does_not_excuse_clients_of_another(project):
    root = project({
        **TWO_DEPLOYMENTS,
        "services/templated/client.py": CHAT.format(base="http://localhost:8001/v1", model="Qwen/Qwen2.5-7B"),
        "services/plain/client.py": CHAT.format(base="http://localhost:8002/v1", model="Qwen/Qwen2.5-7B"),
    })
    by_path = {f.path: f for f in scan_dir(root).findings}
    templated, plain = by_path["services/templated/client.py"], by_path["services/plain/client.py"]
    assert templated.severity == "warning" and "chatml.jinja" in templated.message
    assert plain.severity == "error" and plain.confidence == "high"
    assert "chat template" not in plain.message and not any("chatml" in e for e in plain.evidence)
    assert any("services/plain/serve.sh" in e for e in plain.evidence)
    assert not any("services/templated/serve.sh" in e for e in plain.evidence)


def test_place_decides_when_the_url_does_not(project):
    root = project({
        **TWO_DEPLOYMENTS,
        "services/templated/client.py": CHAT.format(base="http://qwen:8000/v1", model="Qwen/Qwen2.5-7B"),
        "services/plain/client.py": CHAT.format(base="http://qwen:8000/v1", model="Qwen/Qwen2.5-7B"),
    })
    by_path = {f.path: f for f in scan_dir(root).findings}
    assert by_path["services/templated/client.py"].severity == "warning"
    assert by_path["services/plain/client.py"].severity == "error"


def test_a_request_that_may_reach_either_launch_is_not_excused(project):
    root = project({
        **TWO_DEPLOYMENTS,
        "client.py": CHAT.format(base="http://qwen:8000/v1", model="Qwen/Qwen2.5-7B"),
    })
    [finding] = scan_dir(root).findings
    assert finding.severity == "error"
    assert any("set on the launch at services/templated/serve.sh" in e and "not on the one at" in e
               for e in finding.evidence)


def test_template_on_the_only_launch_still_lowers(project):
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-7B --chat-template ./chatml.jinja\n",
        "app/client.py": CHAT.format(base="http://localhost:8000/v1", model="Qwen/Qwen2.5-7B"),
    })
    [finding] = scan_dir(root).findings
    assert finding.severity == "warning" and "chatml.jinja" in finding.message


def test_instruct_tokenizer_scoped_by_alias(project):
    root = project({
        "a.sh": "vllm serve meta-llama/Llama-3.1-8B --served-model-name llama-t "
                "--tokenizer meta-llama/Llama-3.1-8B-Instruct\n",
        "b.sh": "vllm serve meta-llama/Llama-3.1-8B --served-model-name llama-raw\n",
        "t.py": CHAT.format(base="http://localhost:8000/v1", model="llama-t"),
        "raw.py": CHAT.format(base="http://localhost:8000/v1", model="llama-raw"),
    })
    by_path = {f.path: f for f in scan_dir(root).findings}
    assert by_path["t.py"].severity == "warning" and "--tokenizer" in by_path["t.py"].message
    assert by_path["raw.py"].severity == "error" and "--tokenizer" not in by_path["raw.py"].message


def test_server_default_temperature_applies_only_to_its_clients(project):
    root = project({
        "cold/serve.sh": "vllm serve Qwen/Qwen2.5-7B --port 8001 --override-generation-config '{\"temperature\": 0}'\n",
        "warm/serve.sh": "vllm serve Qwen/Qwen2.5-7B --port 8002\n",
        "cold/gen.py": """
            from openai import OpenAI
            OpenAI(base_url="http://localhost:8001/v1").completions.create(model="Qwen/Qwen2.5-7B", prompt="Once")
        """,
        "warm/gen.py": """
            from openai import OpenAI
            OpenAI(base_url="http://localhost:8002/v1").completions.create(model="Qwen/Qwen2.5-7B", prompt="Once")
        """,
    })
    assert rule_lines(scan_dir(root)) == [("VL002", "cold/gen.py", 2), ("VL002", "cold/serve.sh", 1)]


# ---- org-less names (issue 17 item 5) -----------------------------------------------------------------------


def test_orgless_name_without_a_launch_is_low_confidence(project):
    root = project({"app.py": CHAT.format(base="http://localhost:8080/v1", model="llama3.2-1B")})
    [finding] = scan_dir(root).findings
    assert finding.rule == "VL001" and finding.confidence == "low"
    assert any("names no organisation and no launch in the project serves it" in e for e in finding.evidence)
    assert scan_dir(root, min_confidence="medium").findings == []


def test_orgless_curated_name_is_still_only_a_guess(project):
    root = project({"app.py": CHAT.format(base="http://localhost:8000/v1", model="qwen2.5-7b")})
    [finding] = scan_dir(root).findings
    assert finding.confidence == "low"


def test_a_launch_that_binds_the_alias_decides(project):
    base = project({
        "serve.sh": "llama-server -m ./Llama-3.2-1B-Q8_0.gguf --alias llama3.2-1B\n",
        "app.py": CHAT.format(base="http://localhost:8080/v1", model="llama3.2-1B"),
    })
    [finding] = scan_dir(base).findings
    assert finding.confidence != "low" and not any("no organisation" in e for e in finding.evidence)


def test_full_hub_ids_and_offline_engines_keep_their_confidence(project):
    root = project({
        "app.py": CHAT.format(base="http://localhost:8000/v1", model="Qwen/Qwen2.5-7B"),
        "offline.py": """
            from vllm import LLM
            LLM(model="gpt2").chat([{"role": "user", "content": "hi"}])
        """,
    })
    confidences = {f.path: f.confidence for f in scan_dir(root).findings}
    assert confidences == {"app.py": "high", "offline.py": "high"}
