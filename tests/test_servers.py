"""Servers besides vLLM (issue 17 item 4): SGLang, TGI, llama.cpp, Ollama and LMDeploy launches in shell,
Dockerfiles, compose and Kubernetes, read from the flag tables in rules/servers.yaml, so the names they serve
link like a vLLM alias. The launches are written the way the servers' own docs and model cards show them."""

from __future__ import annotations

import pytest

from tests.conftest import rule_lines, scan_dir
from vlint.extract.cmdline.servers import server_data
from vlint.extract.dockerfile import extract_dockerfile
from vlint.extract.modelfile import extract_modelfile
from vlint.extract.shell import extract_shell
from vlint.extract.yaml import extract_yaml

CHAT = """
from openai import OpenAI
client = OpenAI(base_url="{base}", api_key="EMPTY")
client.chat.completions.create(model="{model}", messages=[{{"role": "user", "content": "Hello"}}])
"""


def _serve(text: str):
    [serve] = extract_shell(text, "run.sh").serves
    return serve


@pytest.mark.parametrize(("command", "launcher", "model", "names", "port"), [
    ("python -m sglang.launch_server --model-path Qwen/Qwen2.5-7B --served-model-name qwen --port 30001 "
     "--trust-remote-code --tp 2", "SGLang", "Qwen/Qwen2.5-7B", ("qwen",), 30001),
    ("python3 -m sglang.launch_server --model meta-llama/Llama-3.1-8B --host 0.0.0.0", "SGLang",
     "meta-llama/Llama-3.1-8B", (), 30000),
    ("text-generation-launcher --model-id mistralai/Mistral-7B-v0.1 --num-shard 2 --port 8080",
     "text-generation-inference", "mistralai/Mistral-7B-v0.1", (), 8080),
    ("./llama-server -m models/qwen2.5-7b-instruct-q4_k_m.gguf -c 4096 -ngl 99 --alias qwen --port 8081",
     "llama.cpp server", "models/qwen2.5-7b-instruct-q4_k_m.gguf", ("qwen",), 8081),
    ("llama-server -hf bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M --jinja",
     "llama.cpp server", "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M", (), 8080),
    ("python -m llama_cpp.server --model ./llama-2-7b.Q4_K_M.gguf --model_alias llama2 --port 8002",
     "llama-cpp-python server", "./llama-2-7b.Q4_K_M.gguf", ("llama2",), 8002),
    ("ollama pull qwen2.5:7b-text", "Ollama", "qwen2.5:7b-text", ("qwen2.5:7b-text",), 11434),
    ("OLLAMA_HOST=0.0.0.0:11500 ollama run --verbose llama3.2 'Why is the sky blue?'", "Ollama", "llama3.2",
     ("llama3.2",), 11500),
    ("lmdeploy serve api_server internlm/internlm2_5-7b-chat --model-name internlm2_5-7b-chat --server-port 23334",
     "LMDeploy", "internlm/internlm2_5-7b-chat", ("internlm2_5-7b-chat",), 23334),
    ("lmdeploy serve api_server --backend turbomind --tp 2 --enable-prefix-caching Qwen/Qwen2.5-14B",
     "LMDeploy", "Qwen/Qwen2.5-14B", (), 23333),
])
def test_launch_commands(command, launcher, model, names, port):
    serve = _serve(command)
    assert serve.launcher == launcher
    assert serve.model.literal == model
    assert serve.served_names == names
    assert serve.ports == (port,)


def test_template_tokenizer_and_default_temperature_flags():
    serve = _serve("python -m sglang.launch_server --model-path Qwen/Qwen2.5-7B --chat-template chatml "
                   "--tokenizer-path Qwen/Qwen2.5-7B-Instruct")
    assert (serve.chat_template, serve.tokenizer) == ("chatml", "Qwen/Qwen2.5-7B-Instruct")
    serve = _serve("llama-server -m base.gguf --temp 0.1 --chat-template-file tmpl.jinja")
    assert serve.temperature.literal == 0.1 and serve.chat_template == "tmpl.jinja"
    assert _serve("python -m sglang.launch_server --model-path x/y --load-format dummy").nominal


def test_bare_server_and_help_are_no_launch():
    assert extract_shell("text-generation-launcher --port 8080\nollama serve\nllama-server --help\n",
                         "run.sh").serves == []


def test_every_server_in_the_table_is_reachable_from_a_command_or_an_image():
    for spec in server_data().servers:
        assert spec.programs or spec.modules or spec.images, spec.key
        assert spec.model.flags or spec.model.env or spec.model.positional or spec.config.flags, spec.key
        assert spec.port_default, spec.key


def test_tgi_image_with_model_in_the_environment_everywhere():
    docker = extract_shell("docker run --gpus all --shm-size 1g -p 8080:80 -v $PWD/data:/data "
                           "-e MODEL_ID=tiiuae/falcon-7b ghcr.io/huggingface/text-generation-inference:2.4.1\n",
                           "run.sh").serves
    compose = extract_yaml("""services:
  tgi:
    image: ghcr.io/huggingface/text-generation-inference:3.0.1
    environment:
      MODEL_ID: tiiuae/falcon-7b
    ports: ["8080:80"]
""", "docker-compose.yml").serves
    k8s = extract_yaml("""apiVersion: apps/v1
kind: Deployment
metadata: {name: tgi}
spec:
  template:
    spec:
      containers:
        - name: tgi
          image: ghcr.io/huggingface/text-generation-inference:3.0.1
          env:
            - {name: MODEL_ID, value: tiiuae/falcon-7b}
""", "k8s.yaml").serves
    dockerfile = extract_dockerfile("FROM ghcr.io/huggingface/text-generation-inference:2.4.1\n"
                                    "ENV MODEL_ID=tiiuae/falcon-7b\n", "Dockerfile").serves
    for found, ports in ((docker, (80, 8080)), (compose, (80, 8080)), (k8s, (80,)), (dockerfile, (80,))):
        [serve] = found
        assert (serve.launcher, serve.model.literal, serve.ports) == ("text-generation-inference",
                                                                       "tiiuae/falcon-7b", ports)


def test_llama_cpp_server_image_args():
    [serve] = extract_shell("docker run -p 8080:8080 -v /path/to/models:/models ghcr.io/ggml-org/llama.cpp:server "
                            "-m /models/7B/ggml-model-q4_0.gguf -c 512 --host 0.0.0.0 --port 8080 -a assistant\n",
                            "run.sh").serves
    assert (serve.launcher, serve.served_names, serve.ports) == ("llama.cpp server", ("assistant",), (8080,))
    # the `:full` image runs a tools script, not the server: its arguments are not read as server flags
    assert extract_shell("docker run ghcr.io/ggml-org/llama.cpp:full --run -m /models/x.gguf -p hi\n",
                         "run.sh").serves == []


def test_modelfile():
    [serve] = extract_modelfile('FROM ./qwen2.5-7b-base-q4_k_m.gguf\nPARAMETER temperature 0.1\n'
                                'TEMPLATE """{{ .Prompt }}"""\n', "Modelfile").serves
    assert serve.model.literal == "./qwen2.5-7b-base-q4_k_m.gguf" and serve.temperature.literal == 0.1
    assert serve.chat_template and serve.location.line == 1


def test_sglang_alias_links_like_a_vllm_alias(project):
    root = project({
        "scripts/launch_sglang.sh": "python -m sglang.launch_server --model-path Qwen/Qwen2.5-7B "
                                    "--served-model-name qwen-7b --port 30000 --host 0.0.0.0\n",
        "app.py": CHAT.format(base="http://localhost:30000/v1", model="qwen-7b"),
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "app.py", 3)]
    assert any("launched by SGLang at scripts/launch_sglang.sh:1" in e for e in result.findings[0].evidence)


def test_llama_cpp_alias_of_an_instruct_gguf_is_not_flagged(project):
    # The false alarm issue 17 item 5 names: `llama3.2-1B` was an instruct GGUF served by llama.cpp.
    root = project({
        "start.sh": "llama-server -m ./models/Llama-3.2-1B-Instruct-Q4_K_M.gguf --alias llama3.2-1B --port 8080\n",
        "app.py": CHAT.format(base="http://localhost:8080/v1", model="llama3.2-1B"),
    })
    assert scan_dir(root).findings == []


def test_ollama_create_joins_its_modelfile(project):
    root = project({
        "ollama/Modelfile": "FROM hf.co/Qwen/Qwen2.5-7B-GGUF:Q4_K_M\nPARAMETER temperature 0.2\n",
        "ollama/setup.sh": "ollama create qwen-local -f ./Modelfile\n",
        "app.py": CHAT.format(base="http://localhost:11434/v1", model="qwen-local"),
    })
    result = scan_dir(root)
    # the client chats with the Modelfile's base model at its default temperature; the Modelfile and the
    # launch built from it are each a launch with that low default
    assert rule_lines(result) == [("VL001", "app.py", 3), ("VL002", "app.py", 3), ("VL002", "ollama/Modelfile", 1),
                                  ("VL002", "ollama/setup.sh", 1)]
    assert result.findings[0].model == "hf.co/Qwen/Qwen2.5-7B-GGUF:Q4_K_M"


def test_ollama_tags_follow_ollama_conventions(project):
    root = project({
        "setup.sh": "ollama pull qwen2.5:7b\nollama pull qwen2.5:7b-text\n",
        "chat.py": CHAT.format(base="http://localhost:11434/v1", model="qwen2.5:7b"),
        "raw.py": CHAT.format(base="http://localhost:11434/v1", model="qwen2.5:7b-text"),
    })
    assert rule_lines(scan_dir(root)) == [("VL001", "raw.py", 3)]


def test_lmdeploy_model_name_in_compose(project):
    root = project({
        "docker-compose.yml": """
            services:
              lmdeploy:
                image: openmmlab/lmdeploy:latest
                command: lmdeploy serve api_server internlm/internlm2_5-7b --model-name internlm
                ports: ["23333:23333"]
        """,
        "client.py": CHAT.format(base="http://lmdeploy:23333/v1", model="internlm"),
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "client.py", 3)]
    assert any("launched by LMDeploy at docker-compose.yml:4" in e for e in result.findings[0].evidence)


def test_dockerfile_cmd_on_a_server_image():
    shell_form = extract_dockerfile("FROM ghcr.io/huggingface/text-generation-inference:2.4.0\n"
                                    "CMD --model-id tiiuae/falcon-7b --port 8080\n", "Dockerfile").serves
    exec_form = extract_dockerfile("FROM ghcr.io/ggml-org/llama.cpp:server-cuda\nCOPY model.gguf /models/\n"
                                   'CMD ["-m", "/models/model.gguf", "--alias", "assistant"]\n', "Dockerfile").serves
    assert [(s.launcher, s.model.literal, s.location.line) for s in (*shell_form, *exec_form)] == [
        ("text-generation-inference", "tiiuae/falcon-7b", 2), ("llama.cpp server", "/models/model.gguf", 3)]
    assert exec_form[0].served_names == ("assistant",)


def test_an_alias_label_binds_the_name_even_without_a_readable_launch(project):
    # AIBrix routes `model` to pods labelled `model.aibrix.ai/name`; its samples run a mock image there.
    workload = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          labels: {{model.aibrix.ai/name: "{alias}", model.aibrix.ai/port: "8000"}}
        spec:
          template:
            metadata:
              labels: {{model.aibrix.ai/name: "{alias}"}}
            spec:
              containers:
                - name: llm-engine
                  image: {image}
                  {command}
    """
    root = project({
        "mock.yaml": workload.format(name="mock", alias="llama2-7b", image="aibrix/vllm-mock:nightly",
                                     command='command: ["python3", "app.py"]'),
        "real.yaml": workload.format(name="real", alias="mistral-base", image="vllm/vllm-openai:v0.8.0",
                                     command='args: ["--model", "mistralai/Mistral-7B-v0.1"]'),
        "README.md": """
            ```bash
            curl http://<GATEWAY_IP>/v1/chat/completions -d '{"model": "llama2-7b", "messages": []}'
            curl http://<GATEWAY_IP>/v1/chat/completions -d '{"model": "mistral-base", "messages": []}'
            ```
        """,
    })
    result = scan_dir(root)
    # llama2-7b is served by the mock (model unknown): no guess; mistral-base by the real vLLM pod
    assert rule_lines(result) == [("VL001", "README.md", 3)]
    assert result.findings[0].model == "mistralai/Mistral-7B-v0.1"


def test_modelfiles_are_discovered():
    from vlint.discover import kind_of_name

    assert [kind_of_name(n) for n in ("Modelfile", "Modelfile.base", "qwen.modelfile", "model.py")] == [
        "modelfile", "modelfile", "modelfile", "python"]
