"""Documentation commands with placeholders (issue 17 item 8): `curl http://<service-ip>:80/v1/...` is a
request, not two redirections. The README and reST shapes are those of Kubernetes serving tutorials
(production-stack, KServe, llm-d docs): deploy, then "replace <service-ip> with the Service's address"."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import scan_dir
from vlint.extract.placeholders import mask_placeholders
from vlint.extract.shell import extract_shell

BODY = """-H "Content-Type: application/json" \\
  -d '{"model": "Qwen/Qwen2.5-7B", "messages": [{"role": "user", "content": "Hello"}]}'"""


@pytest.mark.parametrize("url", [
    "http://<service-ip>:80/v1/chat/completions",
    "<your-endpoint>/v1/chat/completions",
    "http://<EXTERNAL_IP>:8000/v1/chat/completions",
    "$URL/v1/chat/completions",
    "${ENDPOINT}/v1/chat/completions",
    "http://{host}:8000/v1/chat/completions",
    "http://YOUR_IP:8000/v1/chat/completions",
    "https://<your-route>.apps.example.com/v1/chat/completions",
])
def test_placeholder_urls_are_requests(url):
    [request] = extract_shell(f"curl {url} \\\n  {BODY}\n", "docs.sh").requests
    assert request.api == "chat" and request.model.literal == "Qwen/Qwen2.5-7B"
    assert request.model.location.line == 3 and request.model.location.column == 8


def test_masking_keeps_length_and_real_redirections():
    text = ("curl http://<service-ip>:80/v1/models > out.json 2>&1\n"
            "sort <in.txt >sorted.txt\nsort <in>out\ncat <<EOF | curl -d @- <host>/v1/completions\n"
            "{\"prompt\": \"<b>\"}\nEOF\n"
            "echo '<keep-quoted>' \"<also>\"\n")
    masked = mask_placeholders(text)
    assert len(masked) == len(text)
    assert "http://‹service-ip›:80" in masked and "> out.json 2>&1" in masked
    assert "sort <in.txt >sorted.txt" in masked and "sort <in>out" in masked
    assert "cat <<EOF" in masked and "‹host›/v1/completions" in masked
    assert "'<keep-quoted>' \"<also>\"" in masked


def test_readme_placeholder_request_reaches_the_service_it_documents(project):
    root = project({
        "deploy/vllm.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: qwen}
            spec:
              template:
                metadata: {labels: {app: qwen}}
                spec:
                  containers:
                    - name: vllm
                      image: vllm/vllm-openai:v0.8.5
                      args: ["--model", "Qwen/Qwen2.5-7B", "--served-model-name", "qwen"]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: qwen-svc}
            spec:
              selector: {app: qwen}
              ports: [{port: 80, targetPort: 8000}]
        """,
        "README.md": """
            # Serving Qwen

            Apply the manifest, then find the Service's address with `kubectl get svc qwen-svc`:

            ```bash
            curl http://<service-ip>:80/v1/chat/completions \\
              -H "Content-Type: application/json" \\
              -d '{"model": "qwen", "messages": [{"role": "user", "content": "Hello"}]}'
            ```
        """,
    })
    [finding] = scan_dir(root).findings
    assert (finding.rule, finding.path, finding.line, finding.column) == ("VL001", "README.md", 6, 1)
    assert finding.model == "Qwen/Qwen2.5-7B" and finding.context == "docs"


def test_rst_code_block_with_placeholder(project):
    root = project({
        "docs/quickstart.rst": """
            Quickstart
            ==========

            .. code-block:: console

               $ curl http://<EXTERNAL_IP>:8000/v1/completions \\
                   -H "Content-Type: application/json" \\
                   -d '{"model": "meta-llama/Llama-3.1-8B", "prompt": "San Francisco is a", "temperature": 0}'
        """,
    })
    [finding] = scan_dir(root).findings
    assert (finding.rule, finding.path, finding.line) == ("VL002", "docs/quickstart.rst", 6)


def test_shell_script_placeholder(project):
    root = project({
        "scripts/query.sh": "#!/bin/bash\n# usage: edit the host first\n"
                            "curl -s http://<host>:8000/v1/chat/completions -H 'Content-Type: application/json' "
                            "-d '{\"model\": \"mistralai/Mistral-7B-v0.1\", \"messages\": []}'\n",
    })
    [finding] = scan_dir(root).findings
    assert (finding.rule, finding.line, finding.column) == ("VL001", 3, 1)


_PIECES = st.sampled_from(["<", ">", "<<", "'", '"', "\\", "#", " ", "\n", "a", "host-1", "<service-ip>", ":80",
                           "$(", ")", "<in>out", "http://"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_masking_changes_only_angle_brackets_and_keeps_every_column(text):
    masked = mask_placeholders(text)
    assert len(masked) == len(text)
    assert all(a == b or (a, b) in (("<", "‹"), (">", "›")) for a, b in zip(text, masked, strict=True))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_endpoint_parsing_never_raises(url):
    from vlint.reach import parse_endpoint

    endpoint = parse_endpoint(url)
    assert endpoint is None or endpoint.port is None or 0 < endpoint.port < 65536
