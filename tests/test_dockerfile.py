"""Dockerfile extractor: the final stage's launch, exec and shell forms, ARG/ENV, RUN, positions."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vlint.extract.dockerfile import extract_dockerfile
from vlint.facts import Location

FIX = Path(__file__).parent / "fixtures" / "docker"


def fixture(name: str):
    return extract_dockerfile((FIX / name).read_text(), f"docker/{name}")


def df(text: str):
    return extract_dockerfile(text, "Dockerfile")


def one_serve(text: str):
    facts = df(text)
    assert len(facts.serves) == 1, facts.serves
    return facts.serves[0]


def test_vllm_image_with_exec_cmd_continuations_and_arg_in_from():
    facts = fixture("Dockerfile.base")
    [s] = facts.serves
    assert s.image == "vllm/vllm-openai:v0.10.1"  # ARG substituted into FROM
    assert s.launcher == "vllm serve"
    assert s.model.literal == "meta-llama/Llama-3.1-8B"
    assert s.model.location == Location("docker/Dockerfile.base", 11, 18)
    assert s.location.line == 11
    assert s.served_names == ("llama",)
    assert s.temperature.literal == 0.0
    assert s.temperature.location.line == 13  # the token on the third line of the JSON array
    assert {b.name: b.value.literal for b in facts.env} == {"MODEL_NAME": "meta-llama/Llama-3.1-8B",
                                                            "PORT": "8000"}
    assert facts.requests == [] and facts.errors == []


def test_multistage_last_stage_with_bash_c_entrypoint_and_shell_cmd():
    facts = fixture("Dockerfile.multistage")
    [s] = facts.serves  # the builder stage's CMD is not what runs
    assert s.model.literal == "Qwen/Qwen2.5-7B"
    assert s.model.location == Location("docker/Dockerfile.multistage", 9, 16)
    assert "MODEL set at docker/Dockerfile.multistage:7" in s.model.note
    assert s.chat_template == "/app/chatml.jinja"
    assert s.image == "vllm/vllm-openai:latest"


def test_shell_form_entrypoint_ignores_cmd_and_uses_env():
    [s] = fixture("Dockerfile.shellform").serves
    assert s.launcher == "python -m vllm.entrypoints.openai.api_server"
    assert s.model.literal == "mistralai/Mistral-7B-v0.1"
    assert s.model.location.line == 6
    assert s.location == Location("docker/Dockerfile.shellform", 5, 12)


def test_simulator_image_is_nominal():
    [s] = fixture("Dockerfile.sim").serves
    assert s.model.literal == "Qwen/Qwen2.5-7B"
    assert "simulator" in s.nominal


def test_no_cmd_no_launch_and_comments_do_not_count():
    facts = fixture("Dockerfile.nolaunch")
    assert facts.serves == [] and facts.requests == [] and facts.errors == []


def test_entrypoint_plus_cmd_exec_forms():
    s = one_serve('FROM python:3.11\nENTRYPOINT ["vllm", "serve"]\nCMD ["Qwen/Qwen2.5-7B", "--port", "8000"]\n')
    assert s.model.literal == "Qwen/Qwen2.5-7B"
    assert s.location == Location("Dockerfile", 2, 14)
    assert s.model.location == Location("Dockerfile", 3, 7)


def test_entrypoint_resets_inherited_cmd():
    text = ('FROM vllm/vllm-openai AS base\nCMD ["--model", "X"]\n'
            'FROM base\nENTRYPOINT ["python3", "app.py"]\n')
    assert df(text).serves == []


def test_stage_inherits_cmd_and_env():
    text = ('FROM vllm/vllm-openai:latest AS base\nENV M=facebook/opt-125m\n'
            'ENTRYPOINT ["/bin/sh", "-c", "vllm serve $M"]\n'
            "FROM base AS final\nLABEL x=y\n")
    s = one_serve(text)
    assert s.model.literal == "facebook/opt-125m"
    assert s.location.line == 3


def test_exec_form_is_not_expanded():
    s = one_serve('FROM vllm/vllm-openai\nENV MODEL=x\nCMD ["vllm", "serve", "$MODEL"]\n')
    assert s.model.literal == "$MODEL"


def test_shell_form_cmd_with_flags_on_vllm_image():
    s = one_serve("FROM vllm/vllm-openai:v0.11.0\nCMD --model meta-llama/Llama-3.1-8B --port 8000\n")
    assert s.model.literal == "meta-llama/Llama-3.1-8B"
    assert s.location == Location("Dockerfile", 2, 1)
    assert s.model.location == Location("Dockerfile", 2, 13)


def test_shell_form_cmd_and_invalid_json_array():
    s = one_serve("FROM ubuntu\nCMD vllm serve M\n")
    assert s.model.literal == "M" and s.location == Location("Dockerfile", 2, 5)
    # Not JSON (trailing comma, single quotes): Docker runs the text with /bin/sh, which fails.
    assert df('FROM ubuntu\nCMD ["vllm", "serve", "M",]\n').serves == []
    assert df("FROM ubuntu\nCMD ['vllm', 'serve', 'M']\n").serves == []


def test_run_lines_go_through_the_shell_extractor_with_arg_and_env():
    text = ("FROM python:3.11\nARG MODEL=gpt2\n"
            "RUN vllm serve $MODEL --load-format dummy & sleep 30 && \\\n"
            "    curl localhost:8000/v1/completions -d '{\"model\": \"gpt2\", \"prompt\": \"p\"}'\n")
    facts = df(text)
    [s] = facts.serves
    assert s.model.literal == "gpt2" and "dummy" in s.nominal
    assert s.location == Location("Dockerfile", 3, 5)
    [r] = facts.requests
    assert r.location == Location("Dockerfile", 4, 5) and r.model.literal == "gpt2"


def test_run_heredoc():
    text = "FROM python:3.11\nRUN <<EOF\npip install vllm\nvllm serve gpt2 --port 1\nEOF\n"
    [s] = df(text).serves
    assert s.location == Location("Dockerfile", 4, 1)


def test_escape_directive_and_lowercase_instructions():
    text = ("# escape=`\nfrom vllm/vllm-openai\ncmd vllm serve Qwen/Qwen2.5-7B `\n"
            "    --served-model-name q\n")
    s = one_serve(text)
    assert s.served_names == ("q",)
    assert s.model.location == Location("Dockerfile", 3, 16)


def test_arg_without_default_stays_symbolic_and_global_arg_reimport():
    s = one_serve("ARG M=Qwen/Qwen2.5-7B\nFROM vllm/vllm-openai\nARG M\nENV MODEL=$M\n"
                  'ENTRYPOINT ["sh", "-c", "vllm serve $MODEL"]\n')
    assert s.model.literal == "Qwen/Qwen2.5-7B"
    s2 = one_serve("FROM vllm/vllm-openai\nARG M\nENV MODEL=$M\n"
                   'ENTRYPOINT ["sh", "-c", "vllm serve $MODEL"]\n')
    assert s2.model.literal is None


def test_legacy_env_form():
    s = one_serve("FROM vllm/vllm-openai\nENV MODEL mistralai/Mistral-7B-v0.1\n"
                  "ENTRYPOINT vllm serve $MODEL\n")
    assert s.model.literal == "mistralai/Mistral-7B-v0.1"


def test_non_vllm_dockerfile_has_no_facts():
    facts = df("FROM node:20\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n")
    assert facts.serves == [] and facts.requests == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_raises(text):
    extract_dockerfile(text, "Dockerfile")


_LINES = st.sampled_from(["FROM vllm/vllm-openai", "FROM x AS y", "FROM y", "ARG A=1", "ENV B=$A", "ENV C",
                          'CMD ["--model", "m"]', "CMD vllm serve $B \\", "ENTRYPOINT [\"sh\", \"-c\"]",
                          'ENTRYPOINT ["vllm"', "RUN <<EOF", "EOF", "RUN curl -d @- h/v1/completions", "# c",
                          "", "\\", "# escape=`", "cmd [\"a\", 1]"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=15).map("\n".join))
def test_random_dockerfile_like_text_never_raises(text):
    extract_dockerfile(text, "Dockerfile")


def test_entrypoint_without_cmd_leaves_the_model_to_run_time():
    assert df('FROM python:3.11\nRUN pip install vllm\nENTRYPOINT ["vllm", "serve"]\n').serves == []
    # but a CMD without a model really serves vLLM's default model
    s = one_serve('FROM python:3.11\nENTRYPOINT ["vllm", "serve"]\nCMD ["--port", "8000"]\n')
    assert s.model.literal == "Qwen/Qwen3-0.6B"
