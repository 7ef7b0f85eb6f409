"""argv -> Serve/Request facts (vlint.extract.cmdline), independent of any host format."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vlint.extract.cmdline.curl import endpoint_api
from vlint.extract.cmdline.docker import image_kind
from vlint.extract.cmdline.flags import flag_table, normalize_flag
from vlint.extract.cmdline.jsonbody import parse_json_body
from vlint.extract.cmdline.variables import resolve_text
from vlint.extract.positions import Token
from vlint.extract.shell import argv_facts as facts_from_argv
from vlint.facts import Location, Value

DEFAULT = "Qwen/Qwen3-0.6B"


def argv(*words: str, quoted: bool = False, line: int = 1) -> list[Token]:
    """Tokens laid out on one line, one space apart, so columns are predictable."""
    out = []
    col = 1
    for w in words:
        out.append(Token(w, Location("run.sh", line, col), quoted))
        col += len(w) + 1
    return out


def split(cmd: str) -> list[Token]:
    return argv(*cmd.split())


def serve_of(cmd: str | list[Token], **kw):
    tokens = split(cmd) if isinstance(cmd, str) else cmd
    serves, requests = facts_from_argv(tokens, **kw)
    assert len(serves) == 1, serves
    assert requests == []
    return serves[0]


def no_facts(cmd: str | list[Token], **kw) -> bool:
    tokens = split(cmd) if isinstance(cmd, str) else cmd
    return facts_from_argv(tokens, **kw) == ([], [])


# --- the flag table --------------------------------------------------------------------------------


def test_flag_table_has_every_arity_kind():
    t = flag_table()
    assert t.lookup("--served-model-name") == ("--served-model-name", "multi")
    assert t.lookup("--hf-token") == ("--hf-token", "optional")
    assert t.lookup("--middleware") == ("--middleware", "append")
    assert t.lookup("--trust-remote-code") == ("--trust-remote-code", "zero")
    assert t.lookup("--no-enable-prefix-caching") == ("--no-enable-prefix-caching", "zero")
    assert t.lookup("--max-model-len") == ("--max-model-len", "one")
    assert t.lookup("-tp") == ("--tensor-parallel-size", "one")
    assert t.lookup("--task") == ("--task", "one")  # legacy flag (removed in 2025-12)
    assert t.lookup("--swap-space") == ("--swap-space", "one")
    assert t.default_model == DEFAULT


def test_abbreviations_resolve_only_when_unique():
    t = flag_table()
    assert t.lookup("--trust-remote") == ("--trust-remote-code", "zero")
    assert t.lookup("--served-model") == ("--served-model-name", "multi")
    assert t.lookup("--mod") == (None, None)  # --model, --model-impl, ...: ambiguous


def test_underscores_are_dashes_before_the_first_dot():
    assert normalize_flag("--max_model_len") == "--max-model-len"
    assert normalize_flag("--override_generation_config.max_new_tokens") == \
        "--override-generation-config.max_new_tokens"
    assert normalize_flag("-tp") == "-tp"


# --- vllm serve: where the model is ----------------------------------------------------------------


def test_positional_model_first():
    s = serve_of("vllm serve Qwen/Qwen2.5-7B --port 8000")
    assert s.model.literal == "Qwen/Qwen2.5-7B"
    assert s.model.location == Location("run.sh", 1, 12)
    assert s.location == Location("run.sh", 1, 1)
    assert s.launcher == "vllm serve"


def test_positional_model_after_flags_needs_arities():
    s = serve_of("vllm serve --trust-remote-code --port 8000 --enforce-eager Qwen/Qwen2.5-14B")
    assert s.model.literal == "Qwen/Qwen2.5-14B"


def test_positional_after_multi_value_flag_is_swallowed_by_it():
    # nargs='+' takes every following non-option token: the "model" is a served name here.
    s = serve_of("vllm serve --served-model-name a b --port 1")
    assert s.served_names == ("a", "b")
    assert s.model.literal == DEFAULT


def test_optional_value_flag_takes_the_next_word():
    s = serve_of("vllm serve --hf-token hf_xxx Qwen/Qwen2.5-7B")
    assert s.model.literal == "Qwen/Qwen2.5-7B"
    s2 = serve_of("vllm serve Qwen/Qwen2.5-7B --hf-token --port 1")
    assert s2.model.literal == "Qwen/Qwen2.5-7B"


def test_model_flag_spaced_and_equals_and_underscore():
    assert serve_of("vllm serve --model meta-llama/Llama-3.1-8B").model.literal == "meta-llama/Llama-3.1-8B"
    s = serve_of("vllm serve --port 8000 --model=meta-llama/Llama-3.1-8B")
    assert s.model.literal == "meta-llama/Llama-3.1-8B"
    # the value's column points past `--model=`
    assert s.model.location == Location("run.sh", 1, 12 + len("--port 8000 --model="))
    assert serve_of("vllm serve --max_model_len 4k --model X").model.literal == "X"


def test_positional_beats_model_flag():
    assert serve_of("vllm serve A --model B").model.literal == "A"


def test_short_aliases_and_optimization_forms_take_the_right_number_of_words():
    s = serve_of("vllm serve -tp 2 -pp 1 -O3 -q awq -Odecode -O 2 Qwen/Qwen2.5-7B")
    assert s.model.literal == "Qwen/Qwen2.5-7B"


def test_negative_numbers_are_values():
    assert serve_of("vllm serve --max-model-len -1 M").model.literal == "M"


def test_legacy_bool_value_is_not_the_model():
    assert serve_of("vllm serve --enable-chunked-prefill true M").model.literal == "M"
    # A current zero-value flag never takes the next word.
    assert serve_of("vllm serve --enforce-eager M").model.literal == "M"


def test_unknown_flag_takes_one_value():
    assert serve_of("vllm serve --some-future-flag 3 M").model.literal == "M"
    assert serve_of("vllm serve --some-future-flag --port 1 M").model.literal == "M"


def test_no_model_serves_the_default():
    s = serve_of("vllm serve --port 8000")
    assert s.model.literal == DEFAULT
    assert "default" in s.model.note


def test_config_file_leaves_model_to_the_config():
    s = serve_of("vllm serve --config cfg.yaml")
    assert s.config_file == "cfg.yaml"
    assert s.model is None
    s2 = serve_of("vllm serve Qwen/Qwen2.5-7B --config cfg.yaml")
    assert s2.model.literal == "Qwen/Qwen2.5-7B" and s2.config_file == "cfg.yaml"


def test_config_with_equals_is_ignored_by_vllm():
    s = serve_of("vllm serve --config=cfg.yaml")
    assert s.config_file is None
    assert s.model.literal == DEFAULT
    assert "--config=cfg.yaml is ignored" in s.model.note


def test_opaque_array_arguments_do_not_claim_the_default():
    s = serve_of(argv("vllm", "serve", "${ARGS[@]}"))
    assert s.model.literal is None
    assert "ARGS" in s.model.note
    s2 = serve_of(argv("vllm", "serve", "$@"))
    assert s2.model.literal is None


# --- vllm serve: other facts -----------------------------------------------------------------------


def test_served_names_chat_template_generation_config():
    s = serve_of("vllm serve /data/ --served-model-name opt-125m --chat-template ./t.jinja "
                 "--generation-config vllm")
    assert s.model.literal == "/data/"
    assert s.served_names == ("opt-125m",)
    assert s.chat_template == "./t.jinja"
    assert s.generation_config == "vllm"
    assert s.temperature is None
    assert s.nominal is None


def test_chat_template_equals_form():
    assert serve_of("vllm serve M --chat-template=template_chatml.jinja").chat_template == \
        "template_chatml.jinja"


def test_override_generation_config_json():
    s = serve_of(argv("vllm", "serve", "M", "--override-generation-config", '{"temperature": 0.1, "top_p": 0.9}'))
    assert s.temperature.literal == 0.1
    assert s.temperature.location == Location("run.sh", 1, 14 + len("--override-generation-config "))


def test_override_generation_config_dotted_and_underscored():
    s = serve_of("vllm serve M --override_generation_config.temperature 0.2")
    assert s.temperature.literal == 0.2
    s2 = serve_of("vllm serve M --override-generation-config.temperature=0")
    assert s2.temperature.literal == 0


def test_override_without_temperature_sets_none():
    s = serve_of(argv("vllm", "serve", "M", "--override-generation-config", '{"top_p": 0.9}'))
    assert s.temperature is None


def test_nominal_launches():
    assert "dummy" in serve_of("vllm serve M --load-format dummy").nominal
    assert "dummy" in serve_of("vllm serve M --load-format=dummy").nominal
    assert serve_of("vllm serve M --load-format safetensors").nominal is None
    assert "headless" in serve_of("vllm serve M --headless").nominal


# --- python -m entry points ------------------------------------------------------------------------


def test_api_server_module_uses_model_flag():
    s = serve_of("python3 -u -m vllm.entrypoints.openai.api_server --model mistralai/Mistral-7B-v0.1 --port 8000")
    assert s.model.literal == "mistralai/Mistral-7B-v0.1"
    assert s.launcher == "python -m vllm.entrypoints.openai.api_server"
    assert s.nominal is None


def test_api_server_module_ignores_the_positional():
    s = serve_of("python -m vllm.entrypoints.openai.api_server Qwen/Qwen2.5-7B")
    assert s.model.literal == DEFAULT
    assert "'Qwen/Qwen2.5-7B' is ignored" in s.model.note


def test_legacy_api_server_is_nominal():
    s = serve_of("python -m vllm.entrypoints.api_server --model facebook/opt-125m")
    assert s.model.literal == "facebook/opt-125m"
    assert "legacy" in s.nominal


def test_python_script_and_code_are_not_launches():
    assert no_facts("python serve.py --model X")
    assert no_facts(argv("python", "-c", "import vllm"))
    assert no_facts("python -m pip install vllm")


# --- wrappers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", [
    "CUDA_VISIBLE_DEVICES=0,1 vllm serve M",
    "nohup vllm serve M",
    "exec vllm serve M",
    "env -u X CUDA_VISIBLE_DEVICES=0 vllm serve M",
    "time vllm serve M",
    "sudo -E -u ml vllm serve M",
    "uv run --with vllm vllm serve M",
    "uvx --from vllm vllm serve M",
    "srun -N 1 --gres=gpu:1 --ntasks 1 vllm serve M",
    "ray job submit --address http://x:8265 -- vllm serve M",
    "timeout 600 vllm serve M",
    "numactl --cpunodebind=0 vllm serve M",
    "conda run -n vllm vllm serve M",
    "/opt/venv/bin/vllm serve M",
    "screen -dmS srv vllm serve M",
])
def test_wrappers(cmd):
    assert serve_of(cmd).model.literal == "M"


def test_not_a_launch():
    assert no_facts("echo vllm serve M")
    assert no_facts("pip install vllm")
    assert no_facts("vllm --version")
    assert no_facts("ray job submit --address x python x.py")


# --- docker / podman -------------------------------------------------------------------------------


def test_docker_run_openai_image_with_docker_options():
    s = serve_of("docker run --runtime nvidia --gpus all -v ~/.cache/huggingface:/root/.cache/huggingface "
                 "-e HF_TOKEN=hf_x -p 8000:8000 --ipc=host --shm-size 16g --name vllm -itd "
                 "vllm/vllm-openai:latest --model mistralai/Mistral-7B-v0.1 --served-model-name mistral")
    assert s.model.literal == "mistralai/Mistral-7B-v0.1"
    assert s.image == "vllm/vllm-openai:latest"
    assert s.launcher == "docker run"
    assert s.served_names == ("mistral",)


def test_docker_run_positional_and_variant_images():
    assert serve_of("podman run --device nvidia.com/gpu=all vllm/vllm-openai-rocm:v0.9 Qwen/Qwen2.5-7B"
                    ).model.literal == "Qwen/Qwen2.5-7B"
    assert serve_of("docker run docker.io/vllm/vllm-gh200-openai M").model.literal == "M"
    assert serve_of("docker run -p8000:8000 vllm/vllm-openai-cpu:latest-x86_64 M").model.literal == "M"


def test_docker_entrypoint_override():
    s = serve_of("docker run --entrypoint python3 vllm/vllm-openai -m vllm.entrypoints.openai.api_server "
                 "--model M")
    assert s.model.literal == "M"
    assert s.image == "vllm/vllm-openai"


def test_docker_simulator_image_is_nominal():
    s = serve_of("docker run ghcr.io/llm-d/llm-d-inference-sim:latest --model Qwen/Qwen2.5-7B --port 8000")
    assert "simulator" in s.nominal


def test_docker_non_vllm_images():
    assert no_facts("docker run -p 11434:11434 ollama/ollama")
    # another server's image is that server's launch (rules/servers.yaml), never a vLLM one
    assert serve_of("docker run ghcr.io/huggingface/text-generation-inference --model-id M").launcher == \
        "text-generation-inference"
    # a generic image running vllm explicitly is a real launch
    assert serve_of("docker run --gpus all pytorch/pytorch:2.3 vllm serve M").model.literal == "M"
    assert no_facts("docker ps")


def test_image_kind():
    assert image_kind("vllm/vllm-openai") == "openai"
    assert image_kind("vllm/vllm-openai:v0.10.1") == "openai"
    assert image_kind("registry.example.com:5000/vllm/vllm-openai@sha256:abc") == "openai"
    assert image_kind("vllm/vllm-gb300-openai:latest") == "openai"
    assert image_kind("ghcr.io/llm-d/llm-d-inference-sim:v0.1") == "simulator"
    assert image_kind("rocm/vllm:latest") == "vllm"
    assert image_kind("nginx") == "other"


# --- variables ---------------------------------------------------------------------------------------


ENV = {"MODEL_NAME": Value("meta-llama/Meta-Llama-3-8B", Location("run.sh", 3, 1))}


def test_env_resolution_carries_provenance():
    s = serve_of(argv("vllm", "serve", "$MODEL_NAME"), env=ENV)
    assert s.model.literal == "meta-llama/Meta-Llama-3-8B"
    assert s.model.note == "from MODEL_NAME set at run.sh:3:1"
    assert s.model.location == Location("run.sh", 1, 12)


@pytest.mark.parametrize("word,env_name,lit,is_default", [
    ("$M", "M", None, False),
    ("${M}", "M", None, False),
    ("${M:-Qwen/Qwen2.5-7B}", "M", "Qwen/Qwen2.5-7B", True),
    ("${M-Qwen/Qwen2.5-7B}", "M", "Qwen/Qwen2.5-7B", True),
    ("$(M)", "M", None, False),
])
def test_unresolved_references_become_env_values(word, env_name, lit, is_default):
    s = serve_of(argv("vllm", "serve", word))
    assert s.model.env == env_name
    assert s.model.literal == lit
    assert s.model.is_default is is_default


def test_quoted_tokens_are_literal():
    s = serve_of([*argv("vllm", "serve"), Token("${MODEL}", Location("run.sh", 1, 12), quoted=True)])
    assert s.model.literal == "${MODEL}" and s.model.env is None


def test_k8s_refs_can_be_turned_off_for_shell():
    v = resolve_text("$(hostname)", None, {}, k8s_refs=False)
    assert v.literal is None and v.env is None
    assert resolve_text("$(MODEL)", None, {}).env == "MODEL"


def test_partial_expansion():
    v = resolve_text("$ORG/$NAME", None, {"ORG": Value("Qwen"), "NAME": Value("Qwen2.5-7B")})
    assert v.literal == "Qwen/Qwen2.5-7B"
    v2 = resolve_text("$ORG/$NAME", None, {"ORG": Value("Qwen")})
    assert v2.literal is None
    v3 = resolve_text("${ORG:-Qwen}/x", None, {})
    assert v3.literal == "Qwen/x" and v3.is_default


def test_template_expressions_are_opaque():
    v = resolve_text("{{ .Values.model }}", None, {})
    assert v.literal is None and "template" in v.note


def test_default_used_when_env_is_empty_with_colon_form():
    env = {"M": Value("", Location("a", 1, 1))}
    assert resolve_text("${M:-X}", None, env).literal == "X"
    assert resolve_text("${M-X}", None, env).literal == ""


# --- curl ---------------------------------------------------------------------------------------------


def curl_req(*words: str, **kw):
    serves, requests = facts_from_argv(argv(*words), **kw)
    assert serves == []
    assert len(requests) == 1, requests
    return requests[0]


CHAT_BODY = '{"model": "Qwen/Qwen2.5-7B", "temperature": 0.1, "messages": [{"role": "user", "content": "Hi"}]}'


def test_curl_chat_completions_single_quoted_body():
    r = curl_req("curl", "-s", "http://localhost:8000/v1/chat/completions", "-H", "Content-Type: application/json",
                 "-d", CHAT_BODY)
    assert r.api == "chat" and r.client == "curl"
    assert r.model.literal == "Qwen/Qwen2.5-7B"
    assert r.temperature.literal == 0.1
    assert r.messages == (("user", "Hi"),)
    assert r.location == Location("run.sh", 1, 1)


def test_curl_completions_and_data_variants():
    body = '{"model": "m", "prompt": "Once upon", "temperature": 0}'
    for opt in ("-d", "--data", "--data-raw", "--data-binary", "--json"):
        r = curl_req("curl", "-X", "POST", "http://h:8000/v1/completions", opt, body)
        assert r.api == "completion" and r.prompt == "Once upon" and r.temperature.literal == 0
    r = curl_req("curl", "http://h/v1/completions", "--data=" + body)
    assert r.model.literal == "m"
    r = curl_req("curl", "-sd" + body, "http://h/v1/completions")
    assert r.model.literal == "m"


def test_curl_other_chat_routes():
    body = '{"model": "m", "input": "hi"}'
    assert curl_req("curl", "http://h/v1/responses", "-d", body).api == "chat"
    assert curl_req("curl", "http://h/v1/messages", "-d", body).api == "chat"


def test_curl_url_with_variables():
    r = curl_req("curl", "http://${HOST}:$PORT/v1/chat/completions", "-d", CHAT_BODY)
    assert r.api == "chat"


def test_curl_url_variable_infers_route_from_body():
    r = curl_req("curl", "$ENDPOINT", "-d", CHAT_BODY)
    assert r.api == "chat"


def test_curl_not_a_request():
    assert no_facts(argv("curl", "http://h:8000/v1/models"))
    assert no_facts(argv("curl", "http://h:8000/health"))
    assert no_facts(argv("curl", "http://h:8000/v1/chat/completions"))  # no body
    assert no_facts(argv("curl", "-G", "http://h/v1/completions", "-d", "x=1"))
    assert no_facts(argv("curl", "http://h:11434/api/generate", "-d", '{"model": "m", "prompt": "p"}'))
    assert no_facts(argv("curl", "-o", "x.tgz", "https://example.com/v1.tgz"))


def test_curl_body_from_file_is_left_unresolved():
    r = curl_req("curl", "http://h/v1/chat/completions", "-d", "@request.json")
    assert r.model.literal is None and "request.json" in r.model.note


def test_curl_body_from_stdin():
    stdin = Token('{\n  "model": "m",\n  "prompt": "p"\n}', Location("run.sh", 5, 1), quoted=True)
    r = curl_req("curl", "http://h/v1/completions", "-d", "@-", stdin=stdin)
    assert r.model.literal == "m"
    assert r.model.location.line == 6


def test_curl_body_template_placeholders():
    r = curl_req("curl", "http://h/v1/chat/completions", "-d",
                 '{"model": "$MODEL", "temperature": $TEMP, "messages": [{"role": "user", "content": "x"}]}',
                 env={"TEMP": Value("0.05", Location("run.sh", 2, 1))})
    assert r.model.env == "MODEL"
    assert r.temperature.literal == 0.05


def test_curl_body_with_chat_template():
    body = '{"model": "m", "messages": [], "chat_template": "{{ messages }}"}'
    assert curl_req("curl", "http://h/v1/chat/completions", "-d", body).chat_template == "{{ messages }}"


def test_parse_json_body_fallbacks():
    assert parse_json_body('{"a": 1}') == {"a": 1}
    assert parse_json_body('{"t": ${T:-0}}') == {"t": "${T:-0}"}
    broken = parse_json_body('{"model": "m", "temperature": 0.2, "messages": [ ... ]')
    assert broken["model"] == "m" and broken["temperature"] == 0.2 and "messages" in broken
    assert parse_json_body("not json") is None


def test_endpoint_api():
    assert endpoint_api("http://x/v1/chat/completions") == "chat"
    assert endpoint_api("http://x/v1/chat/completions?x=1") == "chat"
    assert endpoint_api("http://x/v1/completions/") == "completion"
    assert endpoint_api("http://x/v1/chat/completions/render") is None
    assert endpoint_api("http://x/generate") is None


# --- vllm chat / complete / run-batch -------------------------------------------------------------------


def test_vllm_chat_and_complete_clients():
    _, reqs = facts_from_argv(split("vllm chat --url http://h:8000/v1 --model-name qwen-prod"))
    assert reqs[0].api == "chat" and reqs[0].model.literal == "qwen-prod"
    _, reqs = facts_from_argv(argv("vllm", "complete", "--quick", "Once upon a time"))
    assert reqs[0].api == "completion" and reqs[0].model is None and reqs[0].prompt == "Once upon a time"


def test_vllm_run_batch_is_a_serve():
    s = serve_of("vllm run-batch -i in.jsonl -o out.jsonl --model meta-llama/Llama-3.1-8B")
    assert s.model.literal == "meta-llama/Llama-3.1-8B"
    assert s.launcher == "vllm run-batch"


# --- images given by the caller (Dockerfile CMD, compose) -------------------------------------------------


def test_image_argument_makes_bare_flags_vllm_serve():
    s = serve_of(split("--model M --port 8000"), image="vllm/vllm-openai:v0.11.0")
    assert s.model.literal == "M" and s.image == "vllm/vllm-openai:v0.11.0"
    assert no_facts(split("--model M"), image="nginx:latest")


def test_context_is_passed_through():
    assert serve_of("vllm serve M", context="docs").context == "docs"


# --- shell strings inside argv (YAML `command: [sh, -c, ...]`) -------------------------------------------


def test_sh_c_string_in_argv():
    tokens = argv("/bin/sh", "-c", "vllm serve mistralai/Mistral-7B-v0.3 --max_num_batched_tokens 1024")
    s = serve_of(tokens)
    assert s.model.literal == "mistralai/Mistral-7B-v0.3"
    # "vllm" is at column 1 of the string, which starts at column 12 of the line
    assert s.location == Location("run.sh", 1, 12)


def test_bash_lc_with_multi_line_string():
    tokens = argv("bash", "-lc", "cd /app\nvllm serve M \\\n  --served-model-name m")
    s = serve_of(tokens)
    assert s.location.line == 2 and s.served_names == ("m",)


# --- the table against the real vLLM parser (needs .venv-vllm; skipped otherwise) -----------------------

_DUMP = r"""
import argparse, json
try:
    from vllm.entrypoints.launchers.cli_args import make_arg_parser
except ImportError:
    from vllm.entrypoints.openai.cli_args import make_arg_parser
from vllm.utils.argparse_utils import FlexibleArgumentParser
out = {}
for a in make_arg_parser(FlexibleArgumentParser())._actions:
    if isinstance(a, argparse.BooleanOptionalAction) or a.nargs == 0: kind = "zero"
    elif a.nargs == "?": kind = "optional"
    elif a.nargs in ("+", "*"): kind = "multi"
    elif isinstance(a, argparse._AppendAction): kind = "append"
    else: kind = "one"
    for name in a.option_strings: out[name] = kind
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.vllm
def test_flag_table_matches_the_installed_vllm_parser():
    import json
    import subprocess
    from pathlib import Path

    python = Path(__file__).resolve().parent.parent / ".venv-vllm" / "bin" / "python"
    if not python.exists():
        pytest.skip("needs .venv-vllm (run .ci/setup-vllm.sh)")
    done = subprocess.run([str(python), "-c", _DUMP], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.skip(f"vLLM parser not importable: {done.stderr[-300:]}")
    real = json.loads(done.stdout.strip().splitlines()[-1])
    table = flag_table()
    wrong = {name: (kind, table.lookup(name)[1]) for name, kind in real.items()
             if table.lookup(name)[1] != kind}
    assert wrong == {}


# --- robustness ----------------------------------------------------------------------------------------------

_WORDS = st.sampled_from(["vllm", "serve", "chat", "run-batch", "python3", "-m", "vllm.entrypoints.openai.api_server",
                          "docker", "run", "--entrypoint", "vllm/vllm-openai", "curl", "-d", "-X", "@-", "--",
                          "--model", "--model=", "-O", "-O3", "-tp", "--served-model-name", "$M", "${M:-x}",
                          "$(M)", "$@", "", "-", "--=", "=", "{", '{"model": 1}', "bash", "-c", "sh", "-lc",
                          "http://h/v1/chat/completions", "--override-generation-config", "--config", "env",
                          "nohup", "ray", "job", "submit", "uv", "tmux", "new", "ssh", "eval", "A=1", "-itd"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_WORDS, st.text(max_size=12)), max_size=25), st.booleans())
def test_random_argv_never_raises(words, quoted):
    facts_from_argv(argv(*words, quoted=quoted), env={"M": Value("m", Location("a", 1, 1))})


def test_help_is_not_a_launch():
    assert no_facts("vllm serve --help")
    assert no_facts("vllm serve -h")
    assert no_facts("vllm serve --help=ModelConfig")
