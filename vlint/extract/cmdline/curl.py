"""The curl family: a POST to an OpenAI-compatible route is a request, its `-d` body the request's fields.

The route decides the API (`/v1/chat/completions` applies the chat template, `/v1/completions` does
not); a URL held in a variable that cannot be resolved is judged by the body's shape instead. `-d @file`
names a body kept in a file (read by the JSON extractor on its own), `-d @-` the command's stdin (a
heredoc or a pipe from `echo`/`cat`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from vlint.extract.cmdline.context import CommandContext, value_token
from vlint.extract.cmdline.jsonbody import json_value, parse_json_body
from vlint.extract.cmdline.variables import is_reference, resolve_text
from vlint.extract.positions import Token
from vlint.facts import Api, Request, Value, output_fields

_CURL_VALUE_SHORT = frozenset("dHXouAebcmwKFTxryYzCEUQtDP")
_CURL_VALUE_LONG = frozenset({
    "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode", "--json", "--header",
    "--request", "--output", "--user", "--user-agent", "--referer", "--cookie", "--cookie-jar", "--max-time",
    "--connect-timeout", "--write-out", "--config", "--form", "--form-string", "--upload-file", "--proxy",
    "--range", "--url", "--retry", "--retry-delay", "--retry-max-time", "--cacert", "--capath", "--cert",
    "--key", "--cert-type", "--key-type", "--resolve", "--connect-to", "--unix-socket",
    "--abstract-unix-socket", "--limit-rate", "--interface", "--dump-header", "--stderr", "--trace",
    "--trace-ascii", "--oauth2-bearer", "--variable", "--aws-sigv4", "--noproxy", "--proxy-user",
    "--max-filesize", "--keepalive-time", "--speed-limit", "--speed-time", "--continue-at", "--local-port",
    "--dns-servers", "--expect100-timeout", "--tls-max", "--ciphers", "--pinnedpubkey", "--request-target",
    "--socks5", "--socks5-hostname", "--preproxy", "--proto", "--proto-redir", "--quote", "--mail-from",
    "--mail-rcpt", "--time-cond", "--parallel-max", "--url-query", "--output-dir", "--netrc-file",
    "--max-redirs", "--retry-connrefused-delay", "--happy-eyeballs-timeout-ms", "--sasl-authzid",
})


_CURL_DATA = frozenset({"-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--json"})


def endpoint_api(url: str) -> Api | None:
    """Which OpenAI-compatible API a URL calls: chat-style routes (chat completions, Responses, Anthropic
    Messages) apply the chat template, `/completions` does not."""
    path = re.split(r"[?#]", url, maxsplit=1)[0].rstrip("/")
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/completions"):
        return "completion"
    if path.endswith("/v1/responses") or path.endswith("/v1/messages"):
        return "chat"
    return None


def curl_command(argv: list[Token], ctx: CommandContext) -> None:
    urls: list[Token] = []
    data: list[tuple[str, Token]] = []
    get = False
    i = 1
    n = len(argv)
    while i < n:
        tok = argv[i]
        t = tok.text
        if t.startswith("--"):
            name, eq, val = t.partition("=")
            value = None
            if name in _CURL_VALUE_LONG:
                if eq:
                    value = value_token(tok, len(name) + 1, val)
                elif i + 1 < n:
                    value = argv[i + 1]
                    i += 1
            if name == "--get":
                get = True
            if value is not None:
                if name in _CURL_DATA:
                    data.append((name, value))
                elif name == "--url":
                    urls.append(value)
            i += 1
            continue
        if t.startswith("-") and len(t) > 1:
            for k, ch in enumerate(t[1:], start=1):
                if ch == "G":
                    get = True
                if ch in _CURL_VALUE_SHORT:
                    if k < len(t) - 1:
                        value = value_token(tok, k + 1, t[k + 1:])
                    elif i + 1 < n:
                        value = argv[i + 1]
                        i += 1
                    else:
                        value = None
                    if value is not None and ch == "d":
                        data.append(("-d", value))
                    break
            i += 1
            continue
        urls.append(tok)
        i += 1
    if get:
        return
    api: Api | None = None
    url: str | None = None
    for u in urls:
        url = ctx.literal(u) or u.text
        api = endpoint_api(url)
        if api:
            break
    url_unknown = not urls or all(is_reference(u.text) and ctx.literal(u) is None for u in urls)
    if api is None and not url_unknown:
        return
    body_tok: Token | None = None
    body_file: str | None = None
    for name, tok in data:
        text = tok.text
        if name != "--data-raw" and text.startswith("@"):
            if text == "@-" and ctx.stdin is not None:
                body_tok = ctx.stdin
            else:
                body_file = text[1:]
            break
        body_tok = tok
        break
    if body_tok is None and body_file is None:
        return
    body: Any = None
    if body_tok is not None:
        if not body_tok.quoted and is_reference(body_tok.text.strip()):
            # `-d "$BODY"`: the body is a variable's value; positions inside it are those of its use.
            text = ctx.literal(body_tok)
            if text is not None:
                body_tok = Token(text, body_tok.location, quoted=True)
        else:
            # References inside the JSON are resolved field by field, keeping their provenance.
            text = body_tok.text
        body = parse_json_body(text) if text is not None else None
    if api is None:  # the URL is a bare variable: infer the route from the body's shape
        if not isinstance(body, dict) or "model" not in body:
            return
        api = "chat" if "messages" in body else "completion" if "prompt" in body else None
        if api is None:
            return
    request = _request_from_body(body, body_tok, body_file, argv[0], api, "curl", ctx)
    ctx.requests.append(replace(request, endpoint=url))


def _request_from_body(body: Any, body_tok: Token | None, body_file: str | None, head: Token, api: Api,
                       client: str, ctx: CommandContext) -> Request:
    model: Value | None = None
    temperature: Value | None = None
    messages: tuple[tuple[str, str], ...] | None = None
    prompt: str | None = None
    chat_template: str | None = None
    max_tokens: int | None = None
    scores: tuple[str, ...] = ()
    if body_file is not None:
        model = Value(None, head.location, note=f"request body read from {body_file}")
    elif not isinstance(body, dict) or body_tok is None:
        model = Value(None, head.location, note="request body is not literal JSON")
    else:
        if "model" in body:
            model = json_value(body["model"], body_tok, ctx, "", key="model")
            if model.literal is not None and not isinstance(model.literal, str):
                model = replace(model, literal=str(model.literal))
        if "temperature" in body:
            temperature = json_value(body["temperature"], body_tok, ctx, "", key="temperature")
        def expand(text: str) -> str:
            v = resolve_text(text, None, ctx.env, quoted=body_tok.quoted, k8s_refs=ctx.k8s_refs)
            return text if v.literal is None else str(v.literal)

        messages = body_messages(body.get("messages") if "messages" in body else body.get("input"))
        if messages is not None:
            messages = tuple((role, expand(content)) for role, content in messages)
        raw_prompt = body.get("prompt")
        if isinstance(raw_prompt, list) and raw_prompt and isinstance(raw_prompt[0], str):
            raw_prompt = raw_prompt[0]
        prompt = expand(raw_prompt) if isinstance(raw_prompt, str) else None
        ct = body.get("chat_template")
        chat_template = ct if isinstance(ct, str) else None
        max_tokens, scores = output_fields(body)
    return Request(location=head.location, api=api, client=client, model=model, temperature=temperature,
                   messages=messages, prompt=prompt, chat_template=chat_template,
                   context=ctx.context, max_tokens=max_tokens, scores=scores)  # type: ignore[arg-type]


def body_messages(raw: Any) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(raw, list):
        return None
    out: list[tuple[str, str]] = []
    for m in raw:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            return None
        content = m.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict)
                               and isinstance(p.get("text"), str))
        if not isinstance(content, str):
            return None
        out.append((m["role"], content))
    return tuple(out)
