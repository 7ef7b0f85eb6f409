"""The model id found at run time (`client.models.list().data[0].id`), linked to the launches the request
reaches, with a confidence that says how (issue 17 item 1).

The client files are written the way vLLM's own examples, LMDeploy's model cards and serving benchmarks
write them: ask the server for its first model, then chat with it."""

from __future__ import annotations

from tests.conftest import rule_lines, scan_dir

# vLLM's examples/basic/online_serving shape: module constants, a client, `models.list()` then `.data[0].id`.
OPENAI_CLIENT = '''
from openai import OpenAI

openai_api_key = "EMPTY"
openai_api_base = "{base}"


def main():
    client = OpenAI(api_key=openai_api_key, base_url=openai_api_base)
    models = client.models.list()
    model = models.data[0].id
    chat_completion = client.chat.completions.create(
        messages=[{{"role": "user", "content": "Who won the world series in 2020?"}}],
        model=model,
    )
    print(chat_completion)
'''


def _one(result):
    assert len(result.findings) == 1, [(f.rule, f.path, f.line) for f in result.findings]
    return result.findings[0]


def test_models_list_links_to_the_launch_on_its_port(project):
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-7B --port 8000\n",
        "other/serve.sh": "vllm serve meta-llama/Llama-3.1-8B-Instruct --port 8001\n",
        "client.py": OPENAI_CLIENT.format(base="http://localhost:8000/v1"),
    })
    finding = _one(scan_dir(root))
    assert (finding.rule, finding.path, finding.line) == ("VL001", "client.py", 11)
    assert finding.model == "Qwen/Qwen2.5-7B" and finding.confidence == "high"
    assert any("models.list()" in e and "by port 8000" in e and "serve.sh:1" in e for e in finding.evidence)


def test_the_port_decides_against_an_instruct_launch_elsewhere(project):
    root = project({
        "serve_base.sh": "vllm serve Qwen/Qwen2.5-7B --port 8001\n",
        "serve_chat.sh": "vllm serve Qwen/Qwen2.5-7B-Instruct --port 8000\n",
        "client.py": OPENAI_CLIENT.format(base="http://127.0.0.1:8000/v1"),
    })
    assert scan_dir(root).findings == []


def test_a_url_no_launch_listens_on_reaches_nothing(project):
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-7B --port 8000\n",
        "client.py": OPENAI_CLIENT.format(base="https://api.together.xyz/v1"),
    })
    assert scan_dir(root).findings == []


def test_no_launch_in_the_project_means_no_finding(project):
    root = project({"client.py": OPENAI_CLIENT.format(base="http://localhost:8000/v1")})
    assert scan_dir(root).findings == []


def test_the_only_launch_in_the_project_is_high_confidence(project):
    root = project({
        "deploy/run_server.sh": "python -m vllm.entrypoints.openai.api_server --model mistralai/Mistral-7B-v0.1 "
                                "--port $PORT\n",
        "examples/client.py": OPENAI_CLIENT.format(base="http://{host}:{port}/v1".replace("{", "{{").replace(
            "}", "}}")),
    })
    finding = _one(scan_dir(root))
    assert finding.model == "mistralai/Mistral-7B-v0.1" and finding.confidence == "high"
    assert any("as the only launch in the project" in e for e in finding.evidence), finding.evidence


def test_launches_in_the_same_folder_are_medium_and_any_launch_is_low(project):
    root = project({
        "bench/serve.sh": "vllm serve Qwen/Qwen2.5-7B\n",
        "bench/client.py": OPENAI_CLIENT.format(base="http://gpu-node:8000/v1"),
        "deploy/a.sh": "vllm serve meta-llama/Llama-3.1-8B-Instruct --port 9000\n",
        "tools/client.py": OPENAI_CLIENT.format(base="https://llm.example.com:9100/v1"),
        "jobs/client.py": OPENAI_CLIENT.format(base="http://gateway:9100/v1"),
    })
    result = scan_dir(root)
    findings = {(f.path, f.confidence) for f in result.findings}
    # bench/client.py: port 8000 matches bench/serve.sh (vLLM's default port) on an unknown host: medium.
    assert ("bench/client.py", "medium") in findings
    # tools/client.py calls a public host on port 9100: no launch listens there, every port is known: nothing.
    assert not any(path == "tools/client.py" for path, _ in findings)
    # jobs/client.py calls an internal name the project does not show (a gateway may map any port): any launch
    # in the project, whose models differ (a base and an instruct one): no evidence either way, no finding.
    assert not any(path == "jobs/client.py" for path, _ in findings)


def test_several_launches_on_its_port_with_different_models_are_no_evidence(project):
    """vLLM's docs shape: many pages each launch some model on :8000 and each client asks the server for its
    model. One base launch among instruct ones does not say which this client meets."""
    root = project({
        "mixed/a.sh": "vllm serve facebook/opt-125m\n",
        "mixed/b.sh": "vllm serve Qwen/Qwen3-8B\n",
        "mixed/client.py": OPENAI_CLIENT.format(base="http://localhost:8000/v1"),
        "only_base/a.sh": "vllm serve facebook/opt-125m --port 8001\n",
        "only_base/b.sh": "vllm serve Qwen/Qwen2.5-7B --port 8001\n",
        "only_base/client.py": OPENAI_CLIENT.format(base="http://localhost:8001/v1"),
    })
    by_path = {f.path: f for f in scan_dir(root).findings}
    assert "mixed/client.py" not in by_path
    # Every launch it may reach serves a base model: whichever it meets, it chats with a base model.
    assert by_path["only_base/client.py"].rule == "VL001"
    assert any("several launches with different models" in e for e in by_path["only_base/client.py"].evidence)


def test_unknown_url_falls_back_to_the_folder_then_to_any_launch(project):
    client = OPENAI_CLIENT.format(base="{base}").replace('"{base}"', 'os.environ["OPENAI_BASE_URL"]')
    client = "import os\n" + client
    root = project({
        "serving/launch.sh": "vllm serve Qwen/Qwen2.5-7B --served-model-name qwen\n",
        "serving/smoke.py": client,
        "deploy/other.sh": "vllm serve google/gemma-2-9b\n",
        "eval/run.py": client,
    })
    result = scan_dir(root)
    by_path = {f.path: f for f in result.findings}
    assert by_path["serving/smoke.py"].confidence == "medium"
    assert any("as a launch in the same folder" in e for e in by_path["serving/smoke.py"].evidence)
    # eval/ has no launch: any of the two launches; both serve base models, so whichever it reaches: low,
    # and the ambiguity is said.
    assert by_path["eval/run.py"].confidence == "low"
    assert any("as any launch in the project" in e for e in by_path["eval/run.py"].evidence)


def test_raw_http_models_listing(project):
    # vLLM's pooling examples: `requests.get(models_url).json()["data"][0]["id"]`, then a POST.
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-1.5B --port 8000\n",
        "client.py": '''
            import argparse
            import requests


            def parse_args():
                parser = argparse.ArgumentParser()
                parser.add_argument("--host", type=str, default="localhost")
                parser.add_argument("--port", type=int, default=8000)
                return parser.parse_args()


            def main(args):
                base_url = f"http://{args.host}:{args.port}"
                response = requests.get(base_url + "/v1/models")
                model = response.json()["data"][0]["id"]
                payload = {"model": model, "prompt": "The capital of France is", "temperature": 0.0,
                           "max_tokens": 512}
                requests.post(base_url + "/v1/completions", json=payload)
        ''',
    })
    finding = _one(scan_dir(root))
    assert (finding.rule, finding.line) == ("VL002", 18)
    assert finding.model == "Qwen/Qwen2.5-1.5B"
    assert any("GET /v1/models" in e for e in finding.evidence)


def test_awaited_listing_inline(project):
    # vLLM's structured outputs client: `(await client.models.list()).data[0].id` used inline.
    root = project({
        "docker-compose.yml": """
            services:
              llm:
                image: vllm/vllm-openai:v0.9.0
                command: ["--model", "meta-llama/Llama-3.2-1B"]
                ports: ["8000:8000"]
        """,
        "app/bench.py": '''
            import asyncio
            from openai import AsyncOpenAI

            client = AsyncOpenAI(base_url="http://localhost:8000/v1", api_key="-")


            async def main():
                response = await client.chat.completions.create(
                    model=(await client.models.list()).data[0].id,
                    messages=[{"role": "user", "content": "hi"}],
                    temperature=0,
                )
                return response
        ''',
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "app/bench.py", 8), ("VL002", "app/bench.py", 8)]
    assert all(f.model == "meta-llama/Llama-3.2-1B" and f.confidence == "high" for f in result.findings)


def test_compose_service_name_and_published_port(project):
    root = project({
        "docker-compose.yml": """
            services:
              base-llm:
                image: vllm/vllm-openai:latest
                command: --model Qwen/Qwen2.5-0.5B
              chat-llm:
                image: vllm/vllm-openai:latest
                command: --model Qwen/Qwen2.5-0.5B-Instruct
                ports: ["8080:8000"]
        """,
        "inside.py": OPENAI_CLIENT.format(base="http://base-llm:8000/v1"),
        "outside.py": OPENAI_CLIENT.format(base="http://localhost:8080/v1"),
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "inside.py", 11)]
    assert result.findings[0].confidence == "high"
    assert any("by host `base-llm`" in e for e in result.findings[0].evidence)


def test_kubernetes_service_name_reaches_the_pods_it_selects(project):
    root = project({
        "k8s/base.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: base}
            spec:
              template:
                metadata: {labels: {app: base-llm}}
                spec:
                  containers:
                    - name: vllm
                      image: vllm/vllm-openai:latest
                      args: ["--model", "meta-llama/Llama-3.1-8B"]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: base-llm-svc}
            spec:
              selector: {app: base-llm}
              ports: [{port: 80, targetPort: 8000}]
        """,
        "k8s/chat.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: chat}
            spec:
              template:
                metadata: {labels: {app: chat-llm}}
                spec:
                  containers:
                    - name: vllm
                      image: vllm/vllm-openai:latest
                      args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]
        """,
        "client.py": OPENAI_CLIENT.format(base="http://base-llm-svc.default.svc.cluster.local/v1"),
    })
    finding = _one(scan_dir(root))
    assert finding.model == "meta-llama/Llama-3.1-8B" and finding.confidence == "high"
    assert any("by host `base-llm-svc.default.svc.cluster.local`" in e and "k8s/base.yaml" in e
               for e in finding.evidence)


def test_instruct_launch_reached_gives_no_finding(project):
    root = project({
        "serve.sh": "lmdeploy serve api_server internlm/internlm2_5-7b-chat --server-port 23333\n",
        "client.py": OPENAI_CLIENT.format(base="http://0.0.0.0:23333/v1"),
    })
    assert scan_dir(root).findings == []
