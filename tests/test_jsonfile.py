"""JSON request files: vLLM run-batch JSONL lines and single request bodies (issue 3, item 6)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vlint.extract import get_extractor
from vlint.extract.jsonfile import extract_json

FIXTURES = Path(__file__).parent / "fixtures" / "json"


def _extract(name: str):
    return extract_json((FIXTURES / name).read_text(encoding="utf-8"), f"data/{name}")


def test_registry_resolves_the_json_extractor() -> None:
    assert get_extractor("json") is extract_json


def test_run_batch_lines_are_requests_on_their_own_lines() -> None:
    facts = _extract("batch.jsonl")
    by_line = {r.location.line: r for r in facts.requests}
    assert sorted(by_line) == [1, 2, 5]  # line 4 is an embeddings call, line 3 is blank

    chat = by_line[1]
    assert chat.api == "chat" and chat.client == "run-batch"
    assert chat.model is not None and chat.model.literal == "meta-llama/Meta-Llama-3-8B"
    assert chat.temperature is not None and chat.temperature.literal == 0.2
    assert chat.messages == (("system", "You are a helpful assistant."), ("user", "Hello world!"))
    assert chat.location.path == "data/batch.jsonl"

    completion = by_line[2]
    assert completion.api == "completion"
    assert completion.prompt == "The capital of France is"
    assert completion.temperature is None and completion.effective_temperature()[0] == 1.0

    parts = by_line[5]
    assert parts.model is not None and parts.model.literal == "qwen-prod"
    assert parts.messages == (("user", "Describe"),)


def test_a_broken_jsonl_line_is_reported_and_the_rest_still_read() -> None:
    facts = _extract("batch.jsonl")
    assert [e.line for e in facts.errors] == [6]
    assert facts.errors[0].path == "data/batch.jsonl"
    assert len(facts.requests) == 3


def test_single_chat_body_points_at_the_model_key() -> None:
    facts = _extract("chat_body.json")
    assert not facts.errors
    (request,) = facts.requests
    assert request.api == "chat" and request.client == "json-body"
    assert (request.location.line, request.location.column) == (2, 3)
    assert request.model is not None and request.model.literal == "qwen-cmpl"
    assert request.temperature is not None and request.temperature.literal == 0.0
    assert request.messages == (("user", "Summarise the report."),)


def test_single_completion_body() -> None:
    (request,) = _extract("completion_body.json").requests
    assert request.api == "completion"
    assert request.location.line == 4
    assert request.prompt == "Once upon a time"
    assert request.effective_temperature()[0] == 0.8


def test_json_that_is_not_a_request_yields_nothing() -> None:
    for name in ("package.json", "model_card.json"):
        facts = _extract(name)
        assert not facts.requests and not facts.errors, name


def test_json_with_comments_and_no_model_is_not_parsed() -> None:
    # tsconfig-style JSONC is common; it cannot hold a request, so it must not produce an error either.
    facts = extract_json('{\n  // comment\n  "compilerOptions": {"strict": true},\n}\n', "tsconfig.json")
    assert not facts.errors and not facts.requests


def test_invalid_json_that_could_be_a_request_is_an_error_with_its_line() -> None:
    facts = extract_json('{\n  "model": "x",\n  "messages": [\n}\n', "body.json")
    assert not facts.requests
    (error,) = facts.errors
    assert error.path == "body.json" and error.line == 4


def test_run_batch_line_without_a_known_url_or_body_is_ignored() -> None:
    text = '{"custom_id": "a", "url": "/v1/embeddings", "body": {"model": "m", "input": "x"}}\n' \
           '{"custom_id": "b", "url": "/v1/chat/completions", "body": "not an object"}\n' \
           '{"model": "m", "messages": [{"role": "user", "content": "training data, not a request"}]}\n'
    facts = extract_json(text, "data.jsonl")
    assert not facts.requests and not facts.errors


def test_responses_endpoint_counts_as_chat() -> None:
    text = '{"custom_id": "a", "url": "/v1/responses", "body": {"model": "m", "messages": []}}\n'
    (request,) = extract_json(text, "b.jsonl").requests
    assert request.api == "chat"


@settings(max_examples=200, deadline=None)
@given(st.text(), st.sampled_from(["x.json", "x.jsonl"]))
def test_arbitrary_text_never_raises(text: str, name: str) -> None:
    extract_json(text, name)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='{}[]":,0123456789.-truefalsn modelsgpt\n\\'), st.sampled_from(["x.json", "x.jsonl"]))
def test_json_like_text_never_raises(text: str, name: str) -> None:
    facts = extract_json('"model"' + text, name)
    assert all(e.path == name for e in facts.errors)
