"""VL002's greedy-probe policy (issue 18): a short completion, a request for scores, an evaluation harness
scoring choices is information only; chat requests and long completions are judged as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import scan_dir
from vlint.checks.base_model_low_temperature import PROBE_MAX_TOKENS
from vlint.extract.jsonfile import extract_json
from vlint.facts import output_fields
from vlint.ruledocs import load_doc


def _vl002(result) -> dict[tuple[str, int], tuple[str, str]]:
    return {(f.path, f.line): (f.severity, f.confidence) for f in result.findings if f.rule == "VL002"}


def test_the_rule_document_examples_say_which_findings_are_probes(tmp_path: Path) -> None:
    """Every VL002 line of the document marked `(a probe)` is info/low, every other one keeps the rule's
    severity: the policy as documented is the policy run."""
    examples = [e for e in load_doc("VL002").examples if e.section == "Example"]
    probes = 0
    for example in examples:
        folder = tmp_path / example.filename.replace(".", "_")
        folder.mkdir()
        (folder / example.filename).write_text(example.body, encoding="utf-8")
        found = _vl002(scan_dir(folder))
        lines = example.body.splitlines()
        for line, code in example.expected:
            if code != "VL002":
                continue
            expected = ("info", "low") if "(a probe)" in lines[line - 1] else ("warning", "high")
            probes += expected[0] == "info"
            assert found[(example.filename, line)] == expected, (example.filename, line)
    assert probes >= 3


QUICKSTART = ('vllm serve Qwen/Qwen2.5-1.5B &\n'
              'curl http://localhost:8000/v1/completions -H "Content-Type: application/json" '
              '-d \'{"model": "Qwen/Qwen2.5-1.5B", "prompt": "San Francisco is a", "max_tokens": %s, '
              '"temperature": 0}\'\n')


@pytest.mark.parametrize("max_tokens, probe", [(7, True), (PROBE_MAX_TOKENS, True), (PROBE_MAX_TOKENS + 1, False),
                                               ('"$N"', False)])
def test_the_quickstart_is_a_probe_up_to_the_bound(project, max_tokens, probe: bool) -> None:
    root = project({"quickstart.sh": QUICKSTART % max_tokens})
    result = scan_dir(root)
    assert _vl002(result) == {("quickstart.sh", 2): ("info", "low") if probe else ("warning", "high")}
    (finding,) = [f for f in result.findings if f.rule == "VL002"]
    assert ("greedy probe" in " ".join(finding.evidence)) is probe


def test_a_probe_does_not_fail_the_scan_and_is_not_fixed(project) -> None:
    root = project({"quickstart.sh": QUICKSTART % 7})
    result = scan_dir(root)
    assert result.exit_code("warning") == 0
    (finding,) = result.findings
    assert finding.autofix is None
    assert scan_dir(root, min_confidence="medium").findings == []


def test_chat_requests_are_never_probes(project) -> None:
    root = project({"chat.py": """
        from openai import OpenAI
        client = OpenAI(base_url="http://localhost:8000/v1", api_key="x")
        client.chat.completions.create(model="Qwen/Qwen2.5-1.5B", messages=[{"role": "user", "content": "Hi"}],
                                       max_tokens=1, logprobs=True, top_logprobs=5, temperature=0)
        """})
    result = scan_dir(root)
    assert sorted((f.rule, f.severity) for f in result.findings) == [("VL001", "error"), ("VL002", "warning")]


def test_a_batch_file_of_scoring_requests_is_read_as_probes() -> None:
    text = ('{"custom_id": "1", "method": "POST", "url": "/v1/completions", "body": {"model": "Qwen/Qwen2.5-1.5B", '
            '"prompt": "A", "max_tokens": 1, "logprobs": 5, "echo": true, "temperature": 0}}\n')
    (request,) = extract_json(text, "batch.jsonl").requests
    assert (request.max_tokens, request.scores) == (1, ("logprobs", "echo"))


@pytest.mark.parametrize("fields, expected", [
    ({"max_tokens": 7}, (7, ())),
    ({"max_completion_tokens": 3, "max_tokens": True}, (3, ())),
    ({"logprobs": 0, "echo": False, "prompt_logprobs": None}, (None, ("logprobs",))),
    ({"logprobs": False, "echo": True, "top_logprobs": 2}, (None, ("top_logprobs", "echo"))),
    ({"max_tokens": "7"}, (None, ())),
])
def test_output_fields(fields, expected) -> None:
    assert output_fields(fields) == expected
