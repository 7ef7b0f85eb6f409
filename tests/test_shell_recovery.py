"""Valid bash that tree-sitter-bash does not parse: the known grammar gaps, each documented by a test that
checks the gap is still there (bash accepts the script, the grammar reports an error) and that vlint
recovers the launches around it, at their true lines (issue 18 item 2). The shapes come from public
repositories: KServe's install scripts, llm-d-benchmark's preprocess script, vLLM's CI scripts.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from vlint.extract.shell import _parser, extract_shell, extract_shell_file
from vlint.extract.shell_recovery import repair_known_gaps
from vlint.facts import FileFacts


def _script(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _line_of(text: str, needle: str) -> int:
    hits = [i for i, line in enumerate(_script(text).splitlines(), start=1) if needle in line]
    assert len(hits) == 1, needle
    return hits[0]


def _facts(text: str) -> FileFacts:
    return extract_shell_file(_script(text), "run.sh")


def _serves(facts: FileFacts) -> list[tuple[object, int]]:
    return [(s.model.literal if s.model else None, s.location.line) for s in facts.serves]


def _bash_accepts(text: str, tmp_path: Path) -> bool:
    script = tmp_path / "check.sh"
    script.write_text(_script(text), encoding="utf-8")
    return subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0


def _grammar_rejects(text: str) -> bool:
    return bool(_parser().parse(_script(text).encode()).root_node.has_error)


BACKTICK_COMMENT = """
    #!/bin/bash
    MODEL=Qwen/Qwen2.5-7B
    start_server() {
        vllm serve "$MODEL" \\
            --port 8000 `# the port the client uses` \\
            --max-model-len 4096 &
    }
    start_server
    curl http://localhost:8000/v1/chat/completions -H 'Content-Type: application/json' \\
      -d '{"model": "Qwen/Qwen2.5-7B", "messages": [{"role": "user", "content": "hi"}]}'
    """

EXPANSION_SEMICOLON = """
    #!/usr/bin/env bash
    declare -A compute_cap_map
    while IFS= read -r line; do
        compute_cap=$(echo $line | cut -d ',' -f 2)
        if [[ ! -n "${compute_cap_map[$compute_cap]}" ]]; then
            compute_cap_map[$compute_cap]=1
            compute_cap_list="${compute_cap_list:+${compute_cap_list};}$compute_cap"
        fi
    done < <( nvidia-smi --query-gpu=name,compute_cap --format=csv,noheader )
    export TORCH_CUDA_ARCH_LIST=$compute_cap_list
    vllm serve meta-llama/Llama-3.1-8B --port 8000
    """

TRAILING_CONTINUATION = """
    python3 -m vllm.entrypoints.openai.api_server \\
        --model mistralai/Mistral-7B-v0.1 \\
        --port 8000 \\"""

EMPTY_BACKTICKS = """
    #!/bin/bash
    usage() {
        echo``
        echo "Runs lm eval harness on GSM8k using vllm."
    }
    serve() {
        vllm serve facebook/opt-125m --port 8000 &
    }
    serve
    """

HEREDOC_IN_BACKGROUND = """
    vllm serve Qwen/Qwen2.5-7B &
    curl localhost:8000/v1/completions -H 'Content-Type: application/json' -d @- <<EOF &
    {"model": "Qwen/Qwen2.5-7B", "prompt": "Once upon a time", "max_tokens": 64}
    EOF
    wait
    """

KNOWN_GAPS = {
    "backtick comment in a continued command": (BACKTICK_COMMENT, "vllm serve"),
    "semicolon inside ${…} with declare -A, ${a[$k]} and done < <(…)": (EXPANSION_SEMICOLON, "vllm serve"),
    "continuation backslash on the last line": (TRAILING_CONTINUATION, "api_server"),
    "empty backticks": (EMPTY_BACKTICKS, "vllm serve"),
    "here-document on a line ending with &": (HEREDOC_IN_BACKGROUND, "vllm serve"),
}


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is the ground truth for valid shell")
@pytest.mark.parametrize("name", list(KNOWN_GAPS))
def test_a_known_grammar_gap_is_still_a_gap_and_is_repaired(name: str, tmp_path: Path) -> None:
    """Each gap: bash accepts the script, tree-sitter-bash reports an error (when a grammar update closes
    the gap this test says so), the repair parses cleanly with every offset kept, and the launch is read
    at its line with no error entry."""
    text, launch = KNOWN_GAPS[name]
    assert _bash_accepts(text, tmp_path)
    assert _grammar_rejects(text), f"tree-sitter-bash now parses '{name}': drop its repair"
    raw = _script(text).encode()
    repaired = repair_known_gaps(raw)
    assert len(repaired) == len(raw) and not _parser().parse(repaired).root_node.has_error
    facts = _facts(text)
    assert facts.errors == []
    model_line = _line_of(text, launch)
    assert [line for _model, line in _serves(facts)] == [model_line]


def test_backtick_comment_keeps_the_launch_flags_and_the_request() -> None:
    facts = _facts(BACKTICK_COMMENT)
    (serve,) = facts.serves
    assert serve.model is not None and serve.model.literal == "Qwen/Qwen2.5-7B"
    assert f"run.sh:{_line_of(BACKTICK_COMMENT, 'MODEL=')}:1" in serve.model.note
    assert serve.location.line == _line_of(BACKTICK_COMMENT, "vllm serve")
    assert [(r.api, r.location.line) for r in facts.requests] == [("chat", _line_of(BACKTICK_COMMENT, "curl"))]


def test_here_document_in_background_keeps_its_body() -> None:
    facts = _facts(HEREDOC_IN_BACKGROUND)
    (request,) = facts.requests
    assert request.api == "completion" and request.model is not None and request.model.literal == "Qwen/Qwen2.5-7B"


# --- gaps with no repair: recovered by statement -----------------------------------------------------------

REGEX_WITH_QUOTED_BRACKETS = """
    #!/bin/bash
    MODEL=meta-llama/Llama-3.1-8B
    if [[ "$commands" =~ ^(.*)\\[(.*)"] && ["(.*)\\]$ ]]; then
        prefix=$(echo "${BASH_REMATCH[1]}" | sed 's/;//g')
        echo "PREFIX: ${prefix}"
    fi
    vllm serve "$MODEL" --port 8000
    """

CASE_WITH_QUOTED_GLOBS = """
    pooling_for() {
        case "$1" in
            *"sentence-t5"* | *"st5"*)
                echo "MEAN"
                ;;
            *"Qwen"*"Embedding"*)
                echo "LAST"
                ;;
        esac
    }
    MODEL=intfloat/e5-mistral-7b-instruct
    vllm serve "$MODEL" --runner pooling --port 8000 &
    curl -s localhost:8000/v1/embeddings -d '{"model": "x", "input": "hi"}'
    """

UNREPAIRED_GAPS = {
    "=~ regex with quoted brackets": (REGEX_WITH_QUOTED_BRACKETS, "vllm serve"),
    "case pattern of several quoted parts": (CASE_WITH_QUOTED_GLOBS, "vllm serve"),
}


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is the ground truth for valid shell")
@pytest.mark.parametrize("name", list(UNREPAIRED_GAPS))
def test_an_unrepaired_gap_loses_only_its_statement(name: str, tmp_path: Path) -> None:
    text, launch = UNREPAIRED_GAPS[name]
    assert _bash_accepts(text, tmp_path)
    assert _grammar_rejects(text) and _parser().parse(repair_known_gaps(_script(text).encode())).root_node.has_error
    facts = _facts(text)
    assert [line for _model, line in _serves(facts)] == [_line_of(text, launch)]
    assert facts.errors == []  # what was lost cannot launch anything


def test_statements_after_an_error_keep_variables_in_order() -> None:
    text = """
        MODEL=facebook/opt-125m
        if [[ "$x" =~ ^(.*)\\[(.*)"] && ["(.*)\\]$ ]]; then
            MODEL=facebook/opt-350m
        fi
        vllm serve "$MODEL"
        """
    (serve,) = _facts(text).serves
    assert serve.model is not None and serve.model.literal == "facebook/opt-350m"
    assert serve.location.line == _line_of(text, "vllm serve")


def test_a_lost_launch_is_an_error_entry_at_its_line() -> None:
    text = """
        vllm serve facebook/opt-125m --port 8000 &
        if [[ "$x" =~ ^(.*)\\[(.*)"] ]]; then vllm serve "$MODEL"; fi
        curl localhost:8000/v1/completions -d '{"model": "facebook/opt-125m", "prompt": "a"}'
        """
    facts = _facts(text)
    assert _serves(facts) == [("facebook/opt-125m", 1)]
    assert [r.location.line for r in facts.requests] == [3]
    assert [e.line for e in facts.errors] == [2]


def test_recovery_keeps_columns_and_works_in_embedded_snippets() -> None:
    from vlint.extract.positions import PositionMap

    text = _script(BACKTICK_COMMENT)
    facts = extract_shell(text, "ci.yaml", positions=PositionMap.block(11, 6, text.count("\n") + 1))
    (serve,) = facts.serves
    assert (serve.location.line, serve.location.column) == (11 + _line_of(BACKTICK_COMMENT, "vllm serve") - 1, 6 + 5)
    assert facts.errors == []


def test_nothing_readable_is_one_error_entry_and_recovery_is_bounded() -> None:
    text = "vllm serve 'x\n" + "(\n" * 3000
    started = time.perf_counter()
    facts = extract_shell_file(text, "bad.sh")
    assert time.perf_counter() - started < 10
    assert [(e.line, e.reason) for e in facts.errors] == [(1, "shell syntax error: nothing could be read")]
