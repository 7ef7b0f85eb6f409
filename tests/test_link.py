"""Linking across the project: aliases to launches, variables to values, with the evidence chain."""

from __future__ import annotations

import pytest

from tests.conftest import rule_lines, scan_dir

CLIENT = """
from openai import OpenAI
client = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")
client.chat.completions.create(model="{alias}", messages=[{{"role": "user", "content": "Hi"}}])
"""


def test_client_alias_resolves_through_shell_launch(project):
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-7B --served-model-name qwen-prod --port 8000\n",
        "app.py": CLIENT.format(alias="qwen-prod"),
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "app.py", 3)]
    finding = result.findings[0]
    assert finding.model == "Qwen/Qwen2.5-7B"
    assert any("serve.sh:1" in item for item in finding.evidence), finding.evidence


def test_client_alias_resolves_through_k8s_manifest(project):
    root = project({
        "k8s/deploy.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: llm}
            spec:
              template:
                spec:
                  containers:
                    - name: vllm
                      image: vllm/vllm-openai:latest
                      args: ["--model", "meta-llama/Llama-3.1-8B", "--served-model-name", "llama"]
        """,
        "client.py": CLIENT.format(alias="llama"),
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "client.py", 3)]
    assert any("k8s/deploy.yaml:10" in item for item in result.findings[0].evidence), result.findings[0].evidence


def test_instruct_behind_alias_is_not_flagged(project):
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-7B-Instruct --served-model-name qwen-prod\n",
        "app.py": CLIENT.format(alias="qwen-prod"),
    })
    assert scan_dir(root).findings == []


def test_ambiguous_alias_is_reported_with_both_models(project):
    root = project({
        "a.sh": "vllm serve Qwen/Qwen2.5-7B --served-model-name chat\n",
        "b.sh": "vllm serve Qwen/Qwen2.5-7B-Instruct --served-model-name chat\n",
        "app.py": CLIENT.format(alias="chat"),
    })
    findings = scan_dir(root).findings
    assert [f.rule for f in findings] == ["VL001"]
    assert findings[0].confidence != "high"
    assert any("several launches" in e and "Qwen/Qwen2.5-7B-Instruct" in e for e in findings[0].evidence)


def test_env_file_feeds_compose_and_client(project):
    root = project({
        ".env": "MODEL_ID=mistralai/Mistral-7B-v0.1\n",
        "docker-compose.yml": """
            services:
              vllm:
                image: vllm/vllm-openai:latest
                command: ["--model", "${MODEL_ID}", "--served-model-name", "mistral"]
        """,
        "client.py": CLIENT.format(alias="mistral"),
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "client.py", 3)]
    assert result.findings[0].model == "mistralai/Mistral-7B-v0.1"


def test_real_assignment_beats_a_default_elsewhere(project):
    root = project({
        ".env": "MODEL=Qwen/Qwen2.5-7B-Instruct\n",
        "serve.sh": 'MODEL=${MODEL:-Qwen/Qwen2.5-7B}\nvllm serve "$MODEL" --served-model-name m\n',
        "app.py": CLIENT.format(alias="m"),
    })
    assert scan_dir(root).findings == []


def test_python_env_default_resolves_through_dotenv(project):
    root = project({
        ".env": "LLM_MODEL=Qwen/Qwen2.5-7B\n",
        "app.py": """
            import os
            from openai import OpenAI
            OpenAI().chat.completions.create(model=os.getenv("LLM_MODEL", "gpt-4o"), messages=[])
        """,
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "app.py", 3)]
    assert any(".env:1" in e for e in result.findings[0].evidence)


def test_simulator_launch_makes_the_model_nominal(project):
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-7B --served-model-name sim --load-format dummy\n",
        "app.py": CLIENT.format(alias="sim"),
    })
    assert scan_dir(root).findings == []


def test_chat_template_lowers_and_explains(project):
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-7B --served-model-name q --chat-template ./chatml.jinja\n",
        "app.py": CLIENT.format(alias="q"),
    })
    [finding] = scan_dir(root).findings
    assert finding.severity == "warning" and "chat template" in finding.message
    assert any("chatml.jinja" in e for e in finding.evidence)


def test_instruct_tokenizer_counts_as_template_evidence(project):
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-7B --tokenizer Qwen/Qwen2.5-7B-Instruct --served-model-name q\n",
        "app.py": CLIENT.format(alias="q"),
    })
    [finding] = scan_dir(root).findings
    assert finding.severity == "warning" and "--tokenizer Qwen/Qwen2.5-7B-Instruct" in finding.message


def test_server_side_low_temperature(project):
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-7B --served-model-name q "
                    "--override-generation-config '{\"temperature\": 0.1}'\n",
        "gen.py": """
            from openai import OpenAI
            OpenAI().completions.create(model="q", prompt="Once upon")
            OpenAI().completions.create(model="q", prompt="Once upon", temperature=0.9)
        """,
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL002", "gen.py", 2), ("VL002", "serve.sh", 1)]


def test_launch_only_base_model_is_silent_by_default_and_info_when_selected(project):
    root = project({"serve.sh": "vllm serve Qwen/Qwen2.5-14B --port 8000\n"})
    assert scan_dir(root).findings == []
    [finding] = scan_dir(root, select=("VL003",)).findings
    assert finding.severity == "info"


def test_litellm_proxy_forwarding_chat_to_a_base_model(project):
    root = project({
        "litellm.yaml": """
            model_list:
              - model_name: qwen
                litellm_params:
                  model: hosted_vllm/Qwen/Qwen2.5-7B
                  api_base: http://vllm:8000/v1
                  temperature: 0.2
        """,
    })
    rules = sorted(f.rule for f in scan_dir(root).findings)
    assert rules == ["VL001", "VL002"]


def test_launch_with_config_file_takes_the_model_from_it(project):
    root = project({
        "deploy/vllm.yaml": "model: Qwen/Qwen2.5-7B\nmax-model-len: 4096\ngpu-memory-utilization: 0.9\n",
        "run.sh": "vllm serve --config deploy/vllm.yaml --port 8000 --served-model-name qwen-cfg\n",
        "app.py": CLIENT.format(alias="qwen-cfg"),
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "app.py", 3)]


def test_code_requests_prefer_code_launches_over_documentation(project):
    root = project({
        "serve.sh": "vllm serve Qwen/Qwen2.5-7B-Instruct --served-model-name qwen\n",
        "README.md": "Older setup:\n\n```bash\nvllm serve Qwen/Qwen2.5-7B --served-model-name qwen\n```\n",
        "app.py": CLIENT.format(alias="qwen"),
    })
    assert scan_dir(root).findings == []


def test_constants_imported_from_project_modules(project):
    root = project({
        "app/__init__.py": "",
        "app/settings.py": 'MODEL_NAME = "Qwen/Qwen2.5-7B"\nTEMPERATURE = 0.0\nOTHER = os.getenv("X", "gpt-4o")\n',
        "app/client.py": """
            from openai import OpenAI
            from .settings import MODEL_NAME, TEMPERATURE
            from app import settings
            client = OpenAI()
            client.chat.completions.create(model=MODEL_NAME, messages=[], temperature=TEMPERATURE)
            client.chat.completions.create(model=settings.OTHER, messages=[])
        """,
        "tools/run.py": """
            import openai
            from app.settings import MODEL_NAME as M
            openai.ChatCompletion.create(model=M, messages=[])
        """,
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "app/client.py", 5), ("VL001", "tools/run.py", 3),
                                  ("VL002", "app/client.py", 5)]
    assert any("app/settings.py" in e for e in result.findings[0].evidence), result.findings[0].evidence


def test_imports_from_libraries_stay_unresolved(project):
    root = project({"c.py": """
        from openai import OpenAI
        from somelib.defaults import MODEL
        OpenAI().chat.completions.create(model=MODEL, messages=[])
    """})
    assert scan_dir(root).findings == []


SETTINGS_CLIENT = """\
from openai import OpenAI
from settings import MODEL
OpenAI().chat.completions.create(model=MODEL, messages=[])
"""


def test_an_imported_module_over_max_file_size_is_not_read(project):
    padding = "# " + "x" * 98 + "\n"
    root = project({"settings.py": 'MODEL = "Qwen/Qwen2.5-7B"\n' + padding * 50, "app.py": SETTINGS_CLIENT})
    assert rule_lines(scan_dir(root, max_file_size=1_000)) == []
    assert rule_lines(scan_dir(root, max_file_size=100_000)) == [("VL001", "app.py", 3)]


@pytest.mark.slow
def test_a_huge_imported_module_costs_no_memory(tmp_path):
    """A 1.5 GB `settings.py` (sparse: no disk used) took 3.1 GB when linking read it whole."""
    import json
    import subprocess
    import sys
    import textwrap

    (tmp_path / "app.py").write_text(SETTINGS_CLIENT)
    with open(tmp_path / "settings.py", "wb") as handle:
        handle.write(b'MODEL = "Qwen/Qwen2.5-7B"\n')
        handle.truncate(1_500_000_000)
    probe = textwrap.dedent(f"""
        import resource, subprocess, sys
        done = subprocess.run([sys.executable, "-m", "vlint", "scan", ".", "--format", "json", "--no-cache"],
                              cwd={str(tmp_path)!r}, capture_output=True, text=True, timeout=120)
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        print(done.stdout)
    """)
    peak, _, out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                  check=True).stdout.partition("\n")
    result = json.loads(out)
    assert result["findings"] == []  # the model stays unresolved: the module was not read
    assert [e["path"] for e in result["errors"]] == ["settings.py"]  # skipped as a file of its own
    assert float(peak) < 300


def test_an_imported_module_behind_a_symlink_out_of_the_project_is_not_read(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "settings.py").write_text('MODEL = "Qwen/Qwen2.5-7B"\n')
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text(SETTINGS_CLIENT)
    (root / "settings.py").symlink_to(outside / "settings.py")
    assert rule_lines(scan_dir(root)) == []
    (root / "settings.py").unlink()
    (root / "settings.py").write_text('MODEL = "Qwen/Qwen2.5-7B"\n')
    assert rule_lines(scan_dir(root)) == [("VL001", "app.py", 3)]


def test_each_imported_module_is_read_once_per_run(project, monkeypatch):
    import builtins

    import vlint.link

    files = {"settings.py": 'MODEL = "Qwen/Qwen2.5-7B"\n'}
    files.update({f"app{i}.py": SETTINGS_CLIENT for i in range(20)})
    root = project(files)
    opened: list[str] = []

    def counting_open(file, *args, **kwargs):
        opened.append(str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(vlint.link, "open", counting_open, raising=False)
    assert len(rule_lines(scan_dir(root))) == 20
    assert opened == [str((root / "settings.py").resolve())]
