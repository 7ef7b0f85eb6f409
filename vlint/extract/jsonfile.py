"""JSON extractor: request bodies kept as files — vLLM `run-batch` JSONL lines and single `.json` bodies.

A `.jsonl` line `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": {...}}` is a
request exactly as the server will see it (`vllm run-batch -i in.jsonl`), and a `.json` file holding one
chat (`model` + `messages`) or completion (`model` + `prompt`) body is usually what `curl -d @body.json`
sends. Anything else (package manifests, configs, datasets) yields nothing.
"""

from __future__ import annotations

import json
import re

from vlint.facts import Api, FileFacts, Location, ParseError, Request, Value, output_fields

# Which endpoint a run-batch line targets decides the API: these apply the chat template.
_CHAT_URLS = ("/v1/chat/completions", "/v1/responses", "/v1/messages")
_COMPLETION_URLS = ("/v1/completions",)
_MODEL_KEY_RE = re.compile(r'"model"\s*:')


def _api_for_url(url: object) -> Api | None:
    if not isinstance(url, str):
        return None
    path = url.split("?", 1)[0].rstrip("/")
    if path.endswith(_CHAT_URLS):
        return "chat"
    if path.endswith(_COMPLETION_URLS):
        return "completion"
    return None


def _api_for_body(body: dict[str, object]) -> Api | None:
    if "messages" in body and isinstance(body.get("messages"), list):
        return "chat"
    if "prompt" in body:
        return "completion"
    return None


def _content_text(content: object) -> str | None:
    """Message content as text: a string, or the text parts of an OpenAI content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "\n".join(parts) if parts else None  # type: ignore[arg-type]
    return None


def _messages(raw: object) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(raw, list):
        return None
    out: list[tuple[str, str]] = []
    for message in raw:
        if not isinstance(message, dict):
            return None
        role, text = message.get("role"), _content_text(message.get("content"))
        if not isinstance(role, str) or text is None:
            return None
        out.append((role, text))
    return tuple(out)


def _request(body: dict[str, object], api: Api, location: Location, client: str, where: str) -> Request | None:
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        return None
    temperature = body.get("temperature")
    temp_value = None
    if isinstance(temperature, (int, float)) and not isinstance(temperature, bool):
        temp_value = Value(temperature, location, note=f"temperature in {where}")
    prompt = body.get("prompt")
    template = body.get("chat_template")
    max_tokens, scores = output_fields(body)  # type: ignore[arg-type]
    return Request(
        location=location,
        api=api,
        client=client,
        model=Value(model, location, note=f"model in {where}"),
        temperature=temp_value,
        default_temperature=1.0,
        messages=_messages(body.get("messages")) if api == "chat" else None,
        prompt=prompt if isinstance(prompt, str) else None,
        chat_template=template if isinstance(template, str) else None,
        max_tokens=max_tokens,
        scores=scores,
    )


def _jsonl(text: str, path: str, facts: FileFacts) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            facts.errors.append(ParseError(path, f"JSON: {exc}", number))
            continue
        if not isinstance(record, dict):
            continue
        body = record.get("body")
        api = _api_for_url(record.get("url"))
        if not isinstance(body, dict) or api is None:
            continue
        request = _request(body, api, Location(path, number, 1), "run-batch", "run-batch record")
        if request is not None:
            facts.requests.append(request)


def _single_body(text: str, path: str, facts: FileFacts) -> None:
    try:
        body = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        facts.errors.append(ParseError(path, f"JSON: {exc}", line))
        return
    if not isinstance(body, dict):
        return
    api = _api_for_body(body)
    if api is None:
        return
    match = _MODEL_KEY_RE.search(text)
    line = text.count("\n", 0, match.start()) + 1 if match else 1
    column = match.start() - text.rfind("\n", 0, match.start()) if match else 1
    request = _request(body, api, Location(path, line, column), "json-body", "request body")
    if request is not None:
        facts.requests.append(request)


def extract_json(text: str, path: str) -> FileFacts:
    """Requests from a `.json` body or a `.jsonl` batch file; never raises (bad JSON goes to errors).

    Every request body names its model under the key "model", so a file without that text cannot hold
    one and is not parsed at all: lockfiles and JSON-with-comments configs cost a substring scan and
    produce no error.
    """
    facts = FileFacts(path=path, kind="json")
    if '"model"' not in text:
        return facts
    if path.endswith((".jsonl", ".ndjson")):
        _jsonl(text, path, facts)
    else:
        _single_body(text, path, facts)
    return facts
