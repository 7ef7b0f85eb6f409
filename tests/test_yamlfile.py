"""YAML extractor: every launch form of issue 3 item 3, true and false cases, with exact lines.

Expected lines are found by a unique substring of the fixture (`_line`) so the assertion is exact and
the fixture stays readable.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vlint.extract import get_extractor
from vlint.extract.yaml import extract_yaml
from vlint.extract.yaml.masking import PLACEHOLDER, mask_templates
from vlint.facts import FileFacts, Serve

FIXTURES = Path(__file__).parent / "fixtures" / "yaml"


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _extract(name: str) -> FileFacts:
    return extract_yaml(_text(name), f"deploy/{name}")


def _line(name: str, needle: str) -> int:
    hits = [i for i, line in enumerate(_text(name).splitlines(), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} must occur once in {name}"
    return hits[0]


def _serve_of(facts: FileFacts, model: str) -> Serve:
    found = [s for s in facts.serves if s.model is not None and s.model.literal == model]
    assert len(found) == 1, [s.model for s in facts.serves]
    return found[0]


def test_registry_resolves_the_yaml_extractor() -> None:
    assert get_extractor("yaml") is extract_yaml


# --- Kubernetes ------------------------------------------------------------------------------------
def test_k8s_sh_c_one_string_args_with_underscore_flag() -> None:
    name = "k8s_sh_c.yaml"
    facts = _extract(name)
    assert not facts.errors
    serve = _serve_of(facts, "mistralai/Mistral-7B-v0.3")
    line = _line(name, "vllm serve mistralai")
    assert serve.location.line == line and serve.location.path == f"deploy/{name}"
    assert serve.model is not None and serve.model.location is not None
    assert serve.model.location.line == line
    assert len(facts.serves) == 1  # the Service document holds nothing


def test_k8s_args_only_container_resolves_dollar_paren_from_env() -> None:
    name = "k8s_args_env.yaml"
    facts = _extract(name)
    serve = _serve_of(facts, "Qwen/Qwen2.5-14B")
    assert serve.served_names == ("qwen-prod",)
    assert serve.image == "vllm/vllm-openai:v0.10.1"
    assert serve.model is not None and serve.model.location is not None
    assert serve.model.location.line == _line(name, "$(MODEL_ID)")
    assert "MODEL_ID" in serve.model.note  # provenance: where the value came from
    assert serve.location.line == _line(name, "- --model")


def test_k8s_block_scalar_script_keeps_true_lines_for_serve_and_curl() -> None:
    name = "k8s_args_env.yaml"
    facts = _extract(name)
    serve = _serve_of(facts, "meta-llama/Llama-3.1-8B")
    assert serve.location.line == _line(name, "vllm serve $(MODEL)")
    (request,) = facts.requests
    assert request.api == "chat"
    assert request.location.line == _line(name, "curl -s http://localhost:8000/v1/chat")
    assert request.model is not None and request.model.literal == "meta-llama/Llama-3.1-8B"
    assert request.effective_temperature()[0] == 0.0


def test_k8s_env_bindings_value_and_value_from() -> None:
    name = "k8s_args_env.yaml"
    env = {b.name: b for b in _extract(name).env}
    assert env["MODEL_ID"].value.literal == "Qwen/Qwen2.5-14B"
    assert env["MODEL_ID"].value.location is not None
    assert env["MODEL_ID"].value.location.line == _line(name, "value: Qwen/Qwen2.5-14B")
    assert env["HF_TOKEN"].value.literal is None  # valueFrom: a secret, never guessed
    assert env["MODEL_ID"].scope == "container:server"


def test_k8s_value_from_model_stays_unresolved() -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: vllm
      image: vllm/vllm-openai:latest
      command: ["vllm", "serve", "$(MODEL)"]
      env:
        - name: MODEL
          valueFrom:
            configMapKeyRef: {name: models, key: base}
"""
    (serve,) = extract_yaml(text, "pod.yaml").serves
    assert serve.model is not None and serve.model.literal is None
    assert serve.location.line == 8


def test_k8s_cronjob_and_flow_list_command() -> None:
    text = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: bench
              image: vllm/vllm-openai:latest
              command: ["python3", "-m", "vllm.entrypoints.openai.api_server", "--model", "facebook/opt-125m"]
"""
    (serve,) = extract_yaml(text, "cron.yaml").serves
    assert serve.model is not None and serve.model.literal == "facebook/opt-125m"
    assert serve.location.line == 13


def test_k8s_non_llm_deployment_yields_no_launch() -> None:
    facts = _extract("not_llm_k8s.yaml")
    assert not facts.serves and not facts.requests and not facts.errors


def test_vllm_helm_chart_values_command_list() -> None:
    # vLLM's examples/deployment/chart-helm/values.yaml: a local path, identity only in the served name.
    text = """\
image:
  repository: "vllm/vllm-openai"
  tag: "latest"
  command: ["vllm", "serve", "/data/", "--served-model-name", "opt-125m", "--host", "0.0.0.0"]
"""
    (serve,) = extract_yaml(text, "values.yaml").serves
    assert serve.model is not None and serve.model.literal == "/data/"
    assert serve.served_names == ("opt-125m",)
    assert serve.location.line == 4


# --- Helm / Go templates ---------------------------------------------------------------------------
def test_mask_templates_keeps_lines_and_columns_and_blanks_directive_lines() -> None:
    text = 'a: "{{ .Values.x }}"\n  {{- if .Values.y }}\nb: ${{ secrets.T }}\n{% for m in l %}\n'
    masked = mask_templates(text)
    assert masked.count("\n") == text.count("\n")
    lines = masked.splitlines()
    assert lines[0] == 'a: "' + PLACEHOLDER * len("{{ .Values.x }}") + '"'
    assert lines[1].strip() == "" and lines[3].strip() == ""
    assert lines[2] == "b: " + PLACEHOLDER * len("${{ secrets.T }}")


def test_helm_template_model_is_unresolved_and_never_rendered() -> None:
    name = "helm_template.yaml"
    facts = _extract(name)
    assert not facts.errors
    (serve,) = facts.serves
    assert serve.model is not None and serve.model.literal is None
    assert "template" in serve.model.note
    assert serve.model.location is not None
    assert serve.model.location.line == _line(name, "{{ .Values.model | quote }}")
    assert serve.location.line == _line(name, "- vllm")
    assert serve.served_names == ()  # a templated alias cannot match any client


# --- vLLM --config files ---------------------------------------------------------------------------
def test_vllm_config_kebab_case() -> None:
    name = "vllm_config.yaml"
    (serve,) = _extract(name).serves
    assert serve.launcher == "vllm-config"
    assert serve.model is not None and serve.model.literal == "Qwen/Qwen2.5-14B"
    assert serve.location.line == _line(name, "model: Qwen")
    assert serve.served_names == ("default",)
    assert serve.temperature is not None and float(serve.temperature.literal) == 0.1  # type: ignore[arg-type]


def test_vllm_config_snake_case_list_and_chat_template() -> None:
    name = "vllm_config_snake.yaml"
    (serve,) = _extract(name).serves
    assert serve.served_names == ("Mistral v0.3 7B", "mistral")
    assert serve.chat_template == "./templates/template_alpaca.jinja"
    assert serve.location.line == 1


def test_vllm_config_false_is_dropped_and_true_is_a_bare_flag() -> None:
    # `load-format: dummy` makes the launch nominal; `false` must not swallow the next flag's value.
    text = "model: Qwen/Qwen2.5-7B\ntrust-remote-code: false\nenforce_eager: true\nload-format: dummy\n"
    (serve,) = extract_yaml(text, "cfg.yaml").serves
    assert serve.model is not None and serve.model.literal == "Qwen/Qwen2.5-7B"
    assert serve.nominal is not None and "dummy" in serve.nominal


def test_vllm_config_without_model_only_when_it_carries_something() -> None:
    with_alias = extract_yaml("served-model-name: base-alias\nmax-model-len: 4096\n", "a.yaml").serves
    assert len(with_alias) == 1 and with_alias[0].model is None
    assert with_alias[0].served_names == ("base-alias",)
    assert extract_yaml("max-model-len: 4096\ntensor-parallel-size: 2\n", "b.yaml").serves == []


def test_vllm_config_values_are_not_shell_expanded() -> None:
    (serve,) = extract_yaml("model: $MODEL\nmax-model-len: 2048\n", "c.yaml").serves
    assert serve.model is not None and serve.model.literal == "$MODEL"


def test_yaml_with_model_and_temperature_that_is_not_an_llm_config() -> None:
    for name in ("not_llm_weather.yaml", "not_llm_training.yaml"):
        facts = _extract(name)
        assert not facts.serves and not facts.requests and not facts.errors, name


# --- production stack, KServe, kubeai, Ray, LiteLLM ------------------------------------------------
def test_production_stack_values() -> None:
    name = "production_stack_values.yaml"
    facts = _extract(name)
    base = _serve_of(facts, "meta-llama/Llama-3.1-8B")
    assert base.launcher == "helm"
    assert base.location.line == _line(name, 'modelURL: "meta-llama/Llama-3.1-8B"')
    assert base.served_names == ("llama3-base",)
    assert base.chat_template == "chat.jinja"
    assert base.image == "vllm/vllm-openai:latest"
    instruct = _serve_of(facts, "Qwen/Qwen2.5-7B-Instruct")
    assert instruct.chat_template is None
    assert instruct.served_names == ("qwen-chat", "qwen-instruct")
    assert len(facts.serves) == 2  # the chat template block scalar is opaque text, not a launch


def test_kserve_inference_service() -> None:
    name = "kserve_isvc.yaml"
    facts = _extract(name)
    args = _serve_of(facts, "Qwen/Qwen2.5-0.5B")
    assert args.launcher == "kserve"
    assert args.served_names == ("qwen-cmpl",)
    assert args.location.line == _line(name, "--model_id=Qwen")
    uri = _serve_of(facts, "meta-llama/Llama-3.2-1B")
    assert uri.served_names == ("llama-uri",)  # the InferenceService name is the default model name
    assert uri.location.line == _line(name, "storageUri: hf://")


def test_kserve_non_llm_predictor_is_ignored() -> None:
    text = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: sklearn-iris}
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
"""
    assert extract_yaml(text, "isvc.yaml").serves == []


def test_kubeai_models_vllm_and_ollama() -> None:
    name = "kubeai_models.yaml"
    facts = _extract(name)
    vllm = _serve_of(facts, "meta-llama/Llama-3.1-8B")
    assert vllm.launcher == "kubeai" and vllm.nominal is None
    assert vllm.served_names == ("llama-3.1-8b-base",)
    assert vllm.location.line == _line(name, "url: hf://meta-llama")
    ollama = _serve_of(facts, "qwen2.5:7b")
    assert ollama.nominal is not None and "OLlama" in ollama.nominal


def test_ray_serve_llm_config() -> None:
    name = "ray_serve_llm.yaml"
    (serve,) = _extract(name).serves
    assert serve.launcher == "ray"
    assert serve.model is not None and serve.model.literal == "Qwen/Qwen2.5-0.5B"
    assert serve.served_names == ("qwen-0.5b",)
    assert serve.location.line == _line(name, "model_source:")


def test_litellm_proxy_config() -> None:
    name = "litellm_config.yaml"
    facts = _extract(name)
    base = _serve_of(facts, "Qwen/Qwen2.5-7B")
    assert base.launcher == "litellm" and base.forwards_chat
    assert base.served_names == ("vllm-models",)
    assert base.temperature is not None and base.temperature.literal == 0.1
    assert base.location.line == _line(name, "hosted_vllm/")
    assert _serve_of(facts, "meta-llama/Llama-3.1-8B-Instruct").served_names == ("llama-chat",)
    from_env = [s for s in facts.serves if s.served_names == ("from-env",)]
    assert from_env and from_env[0].model is not None and from_env[0].model.env == "SERVED_MODEL"
    assert not any(s.served_names == ("gpt-4o",) for s in facts.serves)  # azure/: not an OpenAI-compatible server


# --- docker compose --------------------------------------------------------------------------------
def test_compose_string_command_with_default_interpolation() -> None:
    name = "compose.yaml"
    facts = _extract(name)
    serve = _serve_of(facts, "Qwen/Qwen2.5-7B")
    assert serve.model is not None
    assert serve.model.env == "MODEL" and serve.model.is_default  # .env may still override it
    assert serve.location.line == _line(name, "command: --model ${MODEL")
    assert serve.image == "vllm/vllm-openai:latest"


def test_compose_sh_c_list_and_entrypoint_forms() -> None:
    name = "compose.yaml"
    facts = _extract(name)
    sh = _serve_of(facts, "meta-llama/Llama-3.1-8B")
    assert sh.location.line == _line(name, "vllm serve meta-llama/Llama-3.1-8B")
    listed = _serve_of(facts, "mistralai/Mistral-7B-v0.1")
    assert listed.served_names == ("mistral-base",)
    assert listed.model is not None and listed.model.location is not None
    assert listed.model.location.line == _line(name, 'command: ["mistralai')


def test_compose_environment_list_and_map() -> None:
    name = "compose.yaml"
    env = {b.name: b for b in _extract(name).env}
    assert env["VLLM_LOGGING_LEVEL"].value.literal == "INFO"
    assert env["VLLM_LOGGING_LEVEL"].scope == "compose:vllm"
    assert env["HF_TOKEN"].value.literal is None and env["HF_TOKEN"].value.env == "HF_TOKEN"
    assert env["LLM_MODEL"].value.literal == "qwen"
    assert env["LLM_MODEL"].value.location is not None
    assert env["LLM_MODEL"].value.location.line == _line(name, "LLM_MODEL: qwen")


# --- CI workflows and recipes ----------------------------------------------------------------------
def test_github_workflow_serve_and_curl() -> None:
    name = "workflow.yml"
    facts = _extract(name)
    serve = _serve_of(facts, "Qwen/Qwen2.5-1.5B")  # "$MODEL" resolved from the workflow env
    assert serve.location.line == _line(name, 'vllm serve "$MODEL"')
    assert serve.nominal is not None  # --load-format dummy
    (request,) = facts.requests
    assert request.api == "chat"
    assert request.location.line == _line(name, "curl http://localhost:8000")
    assert not any("not-a-shell" in str(s.model) for s in facts.serves)  # `shell: python` step


def test_github_workflow_without_vllm_yields_no_launch() -> None:
    facts = _extract("not_llm_workflow.yml")
    assert not facts.serves and not facts.requests and not facts.errors


def test_github_script_is_javascript_not_a_shell_script() -> None:
    """actions/github-script runs `with: script:` as JavaScript: words like `vllm serve` in it are strings,
    and bash-parsing it (then recovering line by line) is wasted work; a `run:` beside it is still read."""
    text = """\
on: issues
jobs:
  label:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/github-script@v7
        with:
          script: |
            const labels = { serving: ["vllm serve", "python -m vllm.entrypoints.openai.api_server"] };
            for (const [label, words] of Object.entries(labels)) {
              if (words.some(w => context.payload.issue.body.includes(w))) { core.info(`vllm serve ${label}`); }
            }
            const hint = `To reproduce, run:
            vllm serve meta-llama/Llama-3.1-8B --port 8000
            `;
      - run: vllm serve Qwen/Qwen2.5-7B --port 8000
"""
    facts = extract_yaml(text, ".github/workflows/label.yml")
    assert [str(s.model.literal) for s in facts.serves] == ["Qwen/Qwen2.5-7B"]
    assert facts.serves[0].location.line == 16
    assert not facts.errors


def test_github_expression_in_model_is_unresolved() -> None:
    text = """\
on: push
jobs:
  e2e:
    runs-on: ubuntu-latest
    steps:
      - run: vllm serve ${{ matrix.model }} --port 8000
"""
    (serve,) = extract_yaml(text, ".github/workflows/e2e.yml").serves
    assert serve.model is not None and serve.model.literal is None
    assert serve.location == serve.location.__class__(".github/workflows/e2e.yml", 6, 14)


def test_skypilot_envs_feed_run() -> None:
    name = "skypilot.yaml"
    facts = _extract(name)
    serve = _serve_of(facts, "meta-llama/Meta-Llama-3-8B")
    assert serve.location.line == _line(name, "vllm serve $MODEL_NAME")


def test_gitlab_ci_script_list() -> None:
    text = """\
smoke:
  image: python:3.11
  script:
    - pip install vllm
    - vllm serve Qwen/Qwen2.5-0.5B --port 8000 &
    - >
      curl localhost:8000/v1/completions -d '{"model": "Qwen/Qwen2.5-0.5B", "prompt": "Hi"}'
"""
    facts = extract_yaml(text, ".gitlab-ci.yml")
    serve = _serve_of(facts, "Qwen/Qwen2.5-0.5B")
    assert serve.location.line == 5
    (request,) = facts.requests
    assert request.api == "completion" and request.location.line == 7


# --- robustness ------------------------------------------------------------------------------------
def test_broken_document_is_reported_and_the_others_still_read() -> None:
    text = """\
model: Qwen/Qwen2.5-7B
served-model-name: a
---
model: [unclosed
other: 1
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: vllm/vllm-openai:latest
      args: ["--model", "meta-llama/Llama-3.1-8B"]
"""
    facts = extract_yaml(text, "multi.yaml")
    assert [e.path for e in facts.errors] == ["multi.yaml"]
    assert facts.errors[0].line is not None and 4 <= facts.errors[0].line <= 6
    assert {s.model.literal for s in facts.serves if s.model} == {"Qwen/Qwen2.5-7B", "meta-llama/Llama-3.1-8B"}
    llama = _serve_of(facts, "meta-llama/Llama-3.1-8B")
    assert llama.model is not None and llama.model.location is not None
    assert llama.model.location.line == 14


def test_text_that_cannot_matter_is_not_parsed() -> None:
    # Not even its syntax error is reported: nothing in it could be a launch, a request or a variable.
    facts = extract_yaml("key: [unclosed\nother: {x: 1\n", "i18n/en.yaml")
    assert not facts.errors and not facts.serves
    # The same holds per document of a file that does matter.
    facts = extract_yaml("model: Qwen/Qwen2.5-7B\nserved-model-name: q\n---\nkey: [unclosed\n", "two.yaml")
    assert not facts.errors and len(facts.serves) == 1


def test_billion_laughs_finishes_fast() -> None:
    lines = ['a: &a ["vllm", "model", "lol"]']
    for i in range(1, 12):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    text = "\n".join(lines) + "\ncommand: *l\n"
    start = time.perf_counter()
    facts = extract_yaml(text, "bomb.yaml")
    assert time.perf_counter() - start < 2.0
    assert not facts.serves


def test_recursive_alias_does_not_loop() -> None:
    facts = extract_yaml("run: &r [vllm serve x, *r]\nmodel: &m {a: *m}\n", "loop.yaml")
    assert isinstance(facts.errors, list)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    facts = extract_yaml("model: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yaml")
    assert facts.errors


def test_unsafe_tags_are_never_constructed() -> None:
    text = "model: !!python/object/apply:os.system ['echo pwned']\nserved-model-name: x\n"
    facts = extract_yaml(text, "evil.yaml")
    for serve in facts.serves:
        assert serve.model is None or isinstance(serve.model.literal, (str, type(None)))


_FIXTURE_TEXTS = sorted(p.read_text(encoding="utf-8") for p in FIXTURES.glob("*.y*ml"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_random_text_never_raises(text: str) -> None:
    extract_yaml("model: x\n" + text, "r.yaml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_FIXTURE_TEXTS), st.data())
def test_mutated_fixtures_never_raise(text: str, data: st.DataObject) -> None:
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, max(len(chars) - 1, 0)))
        op = data.draw(st.sampled_from(["del", "ins", "dup"]))
        if op == "del" and chars:
            del chars[pos]
        elif op == "ins":
            chars.insert(pos, data.draw(st.sampled_from(list(":-[]{}\"'|>&*!#\n \t$()%@`\\"))))
        elif chars:
            chars.insert(pos, chars[pos])
    facts = extract_yaml("".join(chars), "m.yaml")
    assert all(e.path == "m.yaml" for e in facts.errors)


@pytest.mark.parametrize("path", sorted(p.name for p in FIXTURES.glob("*.y*ml")))
def test_every_location_is_inside_the_file(path: str) -> None:
    facts = _extract(path)
    n_lines = _text(path).count("\n") + 1
    for fact in [*facts.serves, *facts.requests]:
        assert fact.location.path == f"deploy/{path}"
        assert 1 <= fact.location.line <= n_lines


def test_compose_merge_keys_and_yaml_directive() -> None:
    text = """\
%YAML 1.1
---
x-vllm: &vllm
  image: vllm/vllm-openai:latest
  command: ["--model", "Qwen/Qwen2.5-7B", "--served-model-name", "q"]
services:
  base:
    <<: *vllm
    ports: ["8000:8000"]
  chat:
    <<: *vllm
    command: ["--model", "Qwen/Qwen2.5-7B-Instruct"]
"""
    facts = extract_yaml(text, "compose.yaml")
    assert not facts.errors
    base = _serve_of(facts, "Qwen/Qwen2.5-7B")
    assert base.served_names == ("q",) and base.location.line == 5  # the line in the x- template
    assert _serve_of(facts, "Qwen/Qwen2.5-7B-Instruct").location.line == 12


def test_configmap_embedded_vllm_and_litellm_configs_map_lines_into_the_manifest() -> None:
    name = "k8s_configmap_config.yaml"
    facts = _extract(name)
    assert not facts.errors
    config = next(s for s in facts.serves if s.launcher == "vllm-config")
    assert config.model is not None and config.model.literal == "Qwen/Qwen2.5-7B"
    assert (config.location.line, config.location.column) == (_line(name, "model: Qwen/Qwen2.5-7B"), 12)
    assert config.config_file == "config.yaml" and config.served_names == ("qwen-base",)
    proxy = next(s for s in facts.serves if s.launcher == "litellm")
    assert proxy.location.line == _line(name, "hosted_vllm/Qwen")
    assert proxy.temperature is not None and proxy.temperature.literal == 0
    launch = next(s for s in facts.serves if s.config_file == "/etc/vllm/config.yaml")
    assert launch.model is None  # the --config file names it; the linker joins the two


def test_tekton_step_with_image_and_args() -> None:
    text = """\
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: serve}
spec:
  steps:
    - name: serve
      image: vllm/vllm-openai:latest
      args: ["--model", "EleutherAI/pythia-1b"]
"""
    (serve,) = extract_yaml(text, "task.yaml").serves
    assert serve.model is not None and serve.model.literal == "EleutherAI/pythia-1b"
    assert serve.model.location is not None and serve.model.location.line == 8


def test_value_from_and_env_from_resolve_through_a_configmap_in_the_same_file() -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: llm}
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:latest
          args: ["--model", "$(MODEL)", "--served-model-name", "$(ALIAS)"]
          envFrom:
            - configMapRef: {name: llm-settings}
          env:
            - name: MODEL
              valueFrom:
                configMapKeyRef: {name: llm-settings, key: base_model}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: llm-settings}
data:
  base_model: meta-llama/Llama-3.1-8B
  ALIAS: llama-prod
"""
    (serve,) = extract_yaml(text, "llm.yaml").serves
    assert serve.model is not None and serve.model.literal == "meta-llama/Llama-3.1-8B"
    assert serve.model.location is not None and serve.model.location.line == 10
    assert "llm.yaml:22" in serve.model.note  # provenance: the ConfigMap value
    assert serve.served_names == ("llama-prod",)


def test_github_matrix_runs_once_per_value_and_inputs_use_their_default() -> None:
    text = """\
name: models
on:
  workflow_dispatch:
    inputs:
      model:
        default: Qwen/Qwen2.5-0.5B
env:
  TEMP: "0"
jobs:
  smoke:
    runs-on: [self-hosted, gpu]
    strategy:
      matrix:
        model: [meta-llama/Llama-3.2-1B, Qwen/Qwen2.5-1.5B-Instruct]
    steps:
      - run: |
          vllm serve ${{ matrix.model }} --port 8000 &
          curl localhost:8000/v1/chat/completions -d '{"model": "${{ matrix.model }}", "messages": [{"role": "user", "content": "x"}], "temperature": ${{ env.TEMP }}}'
      - run: vllm serve ${{ inputs.model }} --served-model-name ${{ secrets.NAME }}
"""
    facts = extract_yaml(text, "w.yml")
    assert sorted((s.location.line, s.model.literal) for s in facts.serves if s.model) == [
        (17, "Qwen/Qwen2.5-1.5B-Instruct"), (17, "meta-llama/Llama-3.2-1B"), (19, "Qwen/Qwen2.5-0.5B")]
    assert all(s.served_names == () for s in facts.serves)  # a secret is never a usable alias
    # the same axis takes the same value in one run: no request pairs one model with the other
    assert sorted(r.model.literal for r in facts.requests if r.model) == [
        "Qwen/Qwen2.5-1.5B-Instruct", "meta-llama/Llama-3.2-1B"]
    assert all(r.location.line == 18 and r.effective_temperature()[0] == 0.0 for r in facts.requests)


def test_github_env_from_secret_is_unresolved_not_guessed() -> None:
    text = """\
on: push
env:
  MODEL: ${{ secrets.MODEL }}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: vllm serve "$MODEL"
"""
    (serve,) = extract_yaml(text, "w.yml").serves
    assert serve.model is not None and serve.model.literal is None and serve.model.env is None


def test_kserve_custom_container_running_the_huggingface_server() -> None:
    text = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: llama-base}
spec:
  predictor:
    containers:
      - name: kserve-container
        image: kserve/huggingfaceserver:latest-gpu
        command: ["python", "-m", "huggingfaceserver"]
        args:
          - --model_id
          - meta-llama/Llama-3.1-8B
          - --chat-template=/mnt/tpl/chat.jinja
"""
    (serve,) = extract_yaml(text, "isvc.yaml").serves
    assert serve.launcher == "kserve" and serve.served_names == ("llama-base",)
    assert serve.model is not None and serve.model.literal == "meta-llama/Llama-3.1-8B"
    assert serve.location.line == 12
    assert serve.chat_template == "/mnt/tpl/chat.jinja"
