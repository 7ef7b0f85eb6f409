"""Shell extractor (tree-sitter-bash): launches, curl requests, variables, positions, robustness."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vlint.extract.positions import PositionMap
from vlint.extract.shell import extract_shell, extract_shell_file
from vlint.facts import Location, Value

FIX = Path(__file__).parent / "fixtures" / "shell"


def fixture(name: str):
    return extract_shell_file((FIX / name).read_text(), f"scripts/{name}")


def sh(text: str, **kw):
    return extract_shell(text, "run.sh", **kw)


# --- realistic scripts ---------------------------------------------------------------------------------


def test_serve_base_script_with_nohup_env_prefix_continuations_and_comments():
    facts = fixture("serve_base.sh")
    assert facts.errors == []
    assert len(facts.serves) == 1  # the commented-out instruct launches do not count
    s = facts.serves[0]
    assert s.location == Location("scripts/serve_base.sh", 10, 7)  # `vllm` after `nohup`
    assert s.model.literal == "Qwen/Qwen2.5-7B"
    assert s.model.env == "MODEL_NAME" and s.model.is_default
    assert s.model.location == Location("scripts/serve_base.sh", 10, 19)
    assert "MODEL_NAME set at scripts/serve_base.sh:4:1" in s.model.note
    assert s.served_names == ("qwen-prod",)
    assert s.chat_template is None
    [r] = facts.requests
    assert r.api == "chat" and r.client == "curl"
    assert r.location == Location("scripts/serve_base.sh", 17, 1)
    assert r.model.literal == "qwen-prod"
    assert r.model.location.line == 20  # the "model" line inside the multi-line body
    assert r.temperature.literal == 0.1 and r.temperature.location.line == 21
    assert r.messages == (("user", "Summarise the report."),)
    names = {b.name: b for b in facts.env}
    assert names["PORT"].value.literal == "8000"
    assert names["MODEL_NAME"].value.is_default


def test_curl_forms():
    facts = fixture("curl_forms.sh")
    reqs = facts.requests
    assert [r.location.line for r in reqs] == [5, 8, 15, 19, 20]
    double_quoted, heredoc, quoted_heredoc, in_subst, piped = reqs
    # double-quoted body with \" escapes and $MODEL inside
    assert double_quoted.api == "completion"
    assert double_quoted.model.literal == "meta-llama/Meta-Llama-3-8B"
    assert double_quoted.model.note == "from MODEL set at scripts/curl_forms.sh:3:1"
    assert double_quoted.temperature.literal == 0
    assert double_quoted.prompt == "Once upon a time"
    # unquoted heredoc: $MODEL expands
    assert heredoc.api == "chat" and heredoc.model.literal == "meta-llama/Meta-Llama-3-8B"
    assert heredoc.model.location.line == 10
    # quoted heredoc delimiter: nothing expands
    assert quoted_heredoc.model.literal == "${MODEL}" and quoted_heredoc.temperature.literal == 0.0
    # inside $(...) and fed by echo through a pipe
    assert in_subst.model.literal == "gpt2"
    assert piped.model.literal == "facebook/opt-125m" and piped.prompt == "hello"
    assert facts.serves == []


def test_docker_run_script():
    facts = fixture("docker_run.sh")
    [s] = facts.serves
    assert s.image == "vllm/vllm-openai:latest" and s.launcher == "docker run"
    assert s.model.literal == "mistralai/Mistral-7B-v0.1"
    assert s.model.location == Location("scripts/docker_run.sh", 8, 13)
    assert s.served_names == ("mistral",)
    assert s.location.line == 2


def test_functions_if_case_bash_c_and_loops():
    facts = fixture("functions.sh")
    by_line = {s.location.line: s for s in facts.serves}
    assert sorted(by_line) == [5, 10, 12, 17, 18, 23]
    assert by_line[5].model.literal is None  # a function argument
    assert by_line[5].chat_template == "./templates/chatml.jinja"
    assert by_line[10].launcher == "python -m vllm.entrypoints.openai.api_server"
    assert by_line[10].model.literal == "meta-llama/Llama-3.1-8B"
    assert by_line[12].model.literal == "meta-llama/Llama-3.1-8B-Instruct"
    assert "dummy" in by_line[17].nominal
    # bash -c "..." with a continuation and escaped JSON inside: positions map into this file
    assert by_line[18].model.literal == "Qwen/Qwen2.5-1.5B"
    assert by_line[18].temperature.literal == 0.05
    assert by_line[18].temperature.location.line == 19
    assert by_line[23].model.literal is None  # the loop variable is not guessed


# --- variables -------------------------------------------------------------------------------------------


def test_single_quotes_are_literal():
    [s] = sh("MODEL=x\nvllm serve '${MODEL}'\n").serves
    assert s.model.literal == "${MODEL}" and s.model.env is None


def test_double_quotes_expand():
    [s] = sh('MODEL=Qwen/Qwen2.5-7B\nvllm serve "${MODEL}"\n').serves
    assert s.model.literal == "Qwen/Qwen2.5-7B"
    assert s.model.note == "from MODEL set at run.sh:1:1"


def test_export_local_declare_and_unset():
    text = ("export A=one\ndeclare B=two\nf() { local C=three; vllm serve $C; }\n"
            "readonly D=four\nunset A\nvllm serve $A\nvllm serve $B\n")
    facts = sh(text)
    assert [s.model.literal for s in facts.serves] == ["three", None, "two"]
    assert facts.serves[1].model.env == "A"
    scopes = {b.name: b.scope for b in facts.env}
    assert scopes == {"A": "export", "B": "file", "D": "file"}  # C is local to the function body


def test_unset_variable_with_default():
    [s] = sh("vllm serve ${MODEL_NAME:-Qwen/Qwen2.5-7B}\n").serves
    assert s.model.env == "MODEL_NAME" and s.model.literal == "Qwen/Qwen2.5-7B" and s.model.is_default


def test_env_passed_in_is_used_and_overridden_by_assignments():
    env = {"M": Value("from-dockerfile", Location("Dockerfile", 2, 1))}
    [s] = sh("vllm serve $M\n", env=env).serves
    assert s.model.literal == "from-dockerfile" and "Dockerfile:2:1" in s.model.note
    [s2] = sh("M=local\nvllm serve $M\n", env=env).serves
    assert s2.model.literal == "local"


def test_command_substitution_stays_unresolved():
    [s] = sh("MODEL=$(cat model.txt)\nvllm serve $MODEL\n").serves
    assert s.model.literal is None and "command substitution" in s.model.note
    [s2] = sh("vllm serve $(cat model.txt)\n").serves
    assert s2.model.literal is None


def test_env_prefix_assignment_does_not_expand_in_the_same_command():
    [s] = sh("MODEL=a vllm serve $MODEL\n").serves
    assert s.model.literal is None and s.model.env == "MODEL"


def test_unquoted_expansion_is_field_split_but_quoted_is_not():
    text = 'ARGS="Qwen/Qwen2.5-7B --served-model-name q --port 8000"\nvllm serve $ARGS\n'
    [s] = sh(text).serves
    assert s.model.literal == "Qwen/Qwen2.5-7B" and s.served_names == ("q",)
    [s2] = sh('ARGS="--port 8000"\nvllm serve "$ARGS"\n').serves
    assert s2.model.literal == "--port 8000"  # one word, as the shell passes it
    [s3] = sh('CMD="vllm serve M"\n$CMD --port 1\n').serves
    assert s3.model.literal == "M"
    [s4] = sh('EAGER=--enforce-eager\nEMPTY=\nvllm serve $EMPTY $EAGER "$EAGER" Qwen/Qwen2.5-7B\n').serves
    assert s4.model.literal == "Qwen/Qwen2.5-7B"


def test_curl_body_from_variable():
    text = ("BODY='{\"model\": \"Qwen/Qwen2.5-7B\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}'\n"
            'curl localhost:8000/v1/chat/completions -d "$BODY"\n')
    [r] = sh(text).requests
    assert r.api == "chat" and r.model.literal == "Qwen/Qwen2.5-7B"


def test_herestring_body():
    [r] = sh("curl localhost:8000/v1/completions -d @- <<< '{\"model\": \"m\", \"prompt\": \"p\"}'\n").requests
    assert r.model.literal == "m"


def test_heredoc_with_redirections_after_it():
    text = ("curl localhost:8000/v1/completions -d @- <<EOF >out.json 2>&1 &\n"
            '{"model": "gpt2", "prompt": "p"}\nEOF\nvllm serve after\n')
    facts = sh(text)
    assert [r.model.literal for r in facts.requests] == ["gpt2"]
    assert [s.model.literal for s in facts.serves] == ["after"]


def test_tab_stripped_heredoc():
    text = "if true; then\n\tcurl h/v1/completions -d @- <<-EOF\n\t{\"model\": \"m\", \"prompt\": \"p\"}\n\tEOF\nfi\n"
    [r] = sh(text).requests
    assert r.model.literal == "m"


# --- structure -------------------------------------------------------------------------------------------


def test_separators_subshells_and_pipes():
    text = "cd /srv && vllm serve a || echo failed; (vllm serve b &) | tee x; { vllm serve c; }\n"
    assert [s.model.literal for s in sh(text).serves] == ["a", "b", "c"]


def test_comments_never_count():
    facts = sh("# vllm serve meta-llama/Llama-3.1-8B\n  # curl h/v1/chat/completions -d '{\"model\":\"m\"}'\n"
               "echo done # vllm serve x\n")
    assert facts.serves == [] and facts.requests == []


def test_sh_c_single_quoted_maps_columns():
    [s] = sh("sh -c 'vllm serve M --port 1'\n").serves
    assert s.location == Location("run.sh", 1, 8)
    assert s.model.location == Location("run.sh", 1, 19)


def test_eval_and_ssh_strings():
    assert [s.model.literal for s in sh('CMD="vllm serve M"\neval "$CMD"\n').serves] == ["M"]
    assert [s.model.literal for s in sh("ssh -i k.pem gpu1 'vllm serve N --port 1'\n").serves] == ["N"]


def test_text_without_launch_words_only_yields_bindings():
    facts = sh("export MODEL_NAME=Qwen/Qwen2.5-7B\nfoo --model bar\n")
    assert facts.serves == [] and facts.requests == []
    assert [(b.name, b.value.literal, b.scope) for b in facts.env] == [("MODEL_NAME", "Qwen/Qwen2.5-7B", "export")]


# --- embedded snippets: positions into the host file ------------------------------------------------------


def test_position_map_points_into_the_host_file():
    # a YAML block scalar starting on host line 12, indented by 8 spaces
    snippet = "vllm serve Qwen/Qwen2.5-7B \\\n  --served-model-name q\n"
    facts = extract_shell(snippet, "deploy.yaml", positions=PositionMap.block(12, 8, 3))
    [s] = facts.serves
    assert s.location == Location("deploy.yaml", 12, 9)
    assert s.model.location == Location("deploy.yaml", 12, 20)
    assert s.served_names == ("q",)


def test_nested_bash_c_inside_a_snippet_composes_positions():
    snippet = 'echo hi\nbash -c "vllm serve M"\n'
    [s] = extract_shell(snippet, "Dockerfile", positions=PositionMap.block(7, 4, 2)).serves
    assert s.location == Location("Dockerfile", 8, 4 + 10)


def test_context_is_recorded():
    [s] = extract_shell("vllm serve M\n", "README.md", context="docs").serves
    assert s.context == "docs"


# --- robustness --------------------------------------------------------------------------------------------


def test_syntax_error_is_reported_when_a_launch_is_lost_and_the_rest_is_read():
    """A statement that cannot be read is an error entry when it could hold a launch or a request (vlint
    would miss it without a word); the statements around it keep their facts."""
    facts = extract_shell_file('vllm serve A\nvllm serve "unterminated ${x\n', "bad.sh")
    assert [s.model.literal for s in facts.serves] == ["A"]
    assert [(e.path, e.line) for e in facts.errors] == [("bad.sh", 2)]
    assert "line 2 could not be read" in facts.errors[0].reason
    assert extract_shell('vllm serve "unterminated ${x\n', "snippet").errors == []


def test_a_lost_statement_that_cannot_launch_is_not_an_error():
    facts = extract_shell_file('vllm serve A\necho "unterminated ${x\n', "bad.sh")
    assert [s.model.literal for s in facts.serves] == ["A"] and facts.errors == []


def test_non_ascii_columns_are_characters():
    [s] = sh("echo 'é' ; vllm serve M\n").serves
    assert s.location.column == 12


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_raises(text):
    extract_shell(text, "x.sh")


_PIECES = st.sampled_from(["vllm", "serve", "curl", "-d", "'{\"model\": 1}'", "\"$M\"", "${M:-x}", "|", "&&",
                           "<<EOF", "EOF", "\n", "\\\n", "(", ")", "{", "}", ";", "bash", "-c", "docker", "run",
                           "vllm/vllm-openai", "--model", "=", "'", '"', "$(", "`", "#", "http://h/v1/chat/completions",
                           "@-", "M=1", "export", "for", "do", "done", "case", "esac", "if", "then", "fi"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map(" ".join))
def test_random_shell_like_text_never_raises(text):
    extract_shell_file(text, "x.sh")


def test_body_strings_expand_known_variables_only():
    text = ('Q="What is 2+2?"\n'
            'curl h/v1/chat/completions -d "{\\"model\\": \\"m\\", \\"messages\\": [{\\"role\\": \\"user\\", '
            '\\"content\\": \\"$Q\\"}, {\\"role\\": \\"user\\", \\"content\\": \\"$UNKNOWN\\"}]}"\n')
    [r] = sh(text).requests
    assert r.messages == (("user", "What is 2+2?"), ("user", "$UNKNOWN"))


def test_substitutions_inside_uninteresting_commands_are_read():
    text = "echo \"$(curl -s h/v1/completions -d '{\"model\": \"gpt2\", \"prompt\": \"p\"}')\" > out.txt\n"
    [r] = sh(text).requests
    assert r.model.literal == "gpt2" and r.location == Location("run.sh", 1, 9)
    assert sh("make vllm && echo curl\n").requests == []


def test_api_server_background_loop_and_json_flag():
    facts = fixture("api_server_loop.sh")
    api, docker = facts.serves
    assert api.launcher == "python -m vllm.entrypoints.openai.api_server" and api.location.line == 5
    assert api.model.literal == "/models/models--meta-llama--Meta-Llama-3-8B"
    assert api.model.location.line == 6
    assert api.served_names == ("Meta-Llama-3-8B",)
    assert docker.image == "vllm/vllm-openai:v0.6.3" and docker.model.literal == api.model.literal
    loop, json_flag = facts.requests
    assert loop.api == "completion" and loop.location.line == 13 and loop.temperature.literal == 0
    assert loop.model.literal == "Meta-Llama-3-8B"
    assert json_flag.api == "chat" and json_flag.messages == (("user", "$PROMPT"),)


def test_cat_heredoc_inside_command_substitution_is_the_body():
    text = 'M=gpt2\ncurl h/v1/completions -d "$(cat <<EOF\n{"model": "$M", "prompt": "p"}\nEOF\n)"\n'
    [r] = sh(text).requests
    assert r.model.literal == "gpt2" and r.model.location.line == 3


def test_crlf_line_endings():
    [s] = sh("M=Qwen/Qwen2.5-7B\r\nvllm serve $M \\\r\n  --served-model-name q\r\n").serves
    assert s.model.literal == "Qwen/Qwen2.5-7B" and s.served_names == ("q",)


def test_each_thread_gets_its_own_parser():
    from concurrent.futures import ThreadPoolExecutor

    text = (FIX / "serve_base.sh").read_text()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: extract_shell(text, "a.sh").serves[0].model.literal, range(16)))
    assert results == ["Qwen/Qwen2.5-7B"] * 16
