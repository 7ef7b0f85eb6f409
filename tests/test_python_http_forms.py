"""Streaming and generic HTTP forms (issue 17, item 2), modelled on the shapes of public benchmarks and
clients: a time-to-first-token loop over `httpx.stream`, an aiohttp session's `request`/`post` inside
`async with`, `requests.request`, `urllib.request.Request` with a JSON body, the OpenAI client's
`with_streaming_response` and `AsyncOpenAI` as a context manager. Asserted at the fact level, then end to
end through a scan."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import rule_lines, scan_dir
from vlint.extract.python import extract_python, prefilter


def requests_of(source: str):
    text = textwrap.dedent(source).lstrip("\n")
    assert prefilter.words_match(text) and prefilter.might_hold_facts(text)
    facts = extract_python(text, "bench.py")
    assert not facts.errors, facts.errors
    return [(r.location.line, r.api, r.model.literal if r.model else None,
             r.temperature.literal if r.temperature else None) for r in facts.requests]


TTFT_BENCHMARK = """
    import argparse
    import time

    import httpx

    BASE_URL = "http://127.0.0.1:8000"
    CHAT_ROUTE = "/v1/chat/completions"
    MODEL = "meta-llama/Llama-3.1-8B"


    def time_to_first_token(prompt: str) -> float:
        payload = {
            "model": MODEL,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0.0,
            "stream": True,
        }
        start = time.perf_counter()
        with httpx.Client(timeout=60) as client:
            with client.stream("POST", f"{BASE_URL}{CHAT_ROUTE}", json=payload) as response:
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        return time.perf_counter() - start
        return float("nan")


    def completion_stream(prompt: str):
        body = {"model": MODEL, "prompt": prompt, "max_tokens": 64, "stream": True}
        with httpx.stream("POST", BASE_URL + "/v1/completions", json=body, timeout=None) as response:
            yield from response.iter_text()
"""


def test_httpx_client_stream_and_module_stream():
    assert requests_of(TTFT_BENCHMARK) == [
        (20, "chat", "meta-llama/Llama-3.1-8B", 0.0),
        (29, "completion", "meta-llama/Llama-3.1-8B", None),
    ]


AIOHTTP_LOAD_TEST = """
    import asyncio
    import json

    import aiohttp

    API_URL = "http://localhost:8000/v1/chat/completions"


    async def one_request(session: aiohttp.ClientSession, question: str) -> str:
        request = {
            "model": "Qwen/Qwen2.5-7B",
            "messages": [{"role": "user", "content": question}],
            "temperature": 0.1,
            "stream": True,
        }
        async with session.request("POST", API_URL, json=request) as response:
            chunks = [chunk async for chunk in response.content]
        return b"".join(chunks).decode()


    async def warm_up(session: aiohttp.ClientSession) -> None:
        body = {"model": "Qwen/Qwen2.5-7B", "prompt": "Hello", "max_tokens": 1}
        async with session.post(url=API_URL.replace("chat/", ""), data=json.dumps(body)) as response:
            await response.read()


    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(one_request(session, q) for q in ["a", "b"]))
"""


def test_aiohttp_session_request_inside_async_with():
    """`session.request("POST", ...)` is read; a URL made by `.replace(...)` is not resolved, so the warm-up
    gives nothing rather than a guess."""
    assert requests_of(AIOHTTP_LOAD_TEST) == [(16, "chat", "Qwen/Qwen2.5-7B", 0.1)]


@pytest.mark.parametrize("verb_call, expected", [
    ('requests.request("POST", URL, json=body)', [(6, "chat", "Qwen/Qwen2.5-14B", 0.2)]),
    ('requests.request(method="post", url=URL, json=body)', [(6, "chat", "Qwen/Qwen2.5-14B", 0.2)]),
    ('session.request("POST", URL, json=body, timeout=30)', [(6, "chat", "Qwen/Qwen2.5-14B", 0.2)]),
    ('requests.request(VERB, URL, json=body)', [(6, "chat", "Qwen/Qwen2.5-14B", 0.2)]),
    # not a POST, or a verb nothing here can know: no request
    ('requests.request("GET", URL, json=body)', []),
    ('requests.request(verb, URL, json=body)', []),
    ('session.request("DELETE", URL, json=body)', []),
])
def test_generic_request_takes_the_verb_from_its_argument(verb_call, expected):
    assert requests_of(f"""
        import requests
        URL = "http://localhost:8000/v1/chat/completions"
        VERB = "POST"
        def ask(session, verb):
            body = {{"model": "Qwen/Qwen2.5-14B", "messages": [], "temperature": 0.2}}
            return {verb_call}
    """) == expected


URLLIB_CLIENT = """
    import json
    import urllib.request
    from urllib.request import Request, urlopen

    ENDPOINT = "http://127.0.0.1:8000"


    def chat(prompt: str) -> str:
        payload = {
            "model": "mistralai/Mistral-7B-v0.1",
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
        }
        data = json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(f"{ENDPOINT}/v1/chat/completions", data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.load(response)["choices"][0]["message"]["content"]


    def complete(prompt: str) -> str:
        body = json.dumps({"model": "mistralai/Mistral-7B-v0.1", "prompt": prompt}).encode()
        with urlopen(Request(ENDPOINT + "/v1/completions", body, method="POST")) as response:
            return json.load(response)["choices"][0]["text"]


    def health() -> bool:
        return urlopen(Request(f"{ENDPOINT}/v1/chat/completions", method="GET")).status == 200
"""


def test_urllib_request_with_a_json_body_is_a_post():
    assert requests_of(URLLIB_CLIENT) == [
        (15, "chat", "mistralai/Mistral-7B-v0.1", 0),
        (23, "completion", "mistralai/Mistral-7B-v0.1", None),
    ]


OPENAI_STREAMING = """
    import asyncio
    from openai import AsyncOpenAI, OpenAI

    BASE = "http://localhost:8000/v1"


    def stream_sync(prompt):
        client = OpenAI(base_url=BASE, api_key="EMPTY")
        with client.chat.completions.with_streaming_response.create(
            model="Qwen/Qwen2.5-7B", messages=[{"role": "user", "content": prompt}], temperature=0.0,
        ) as response:
            for line in response.iter_lines():
                print(line)


    async def stream_async(prompt):
        async with AsyncOpenAI(base_url=BASE, api_key="EMPTY") as client:
            stream = await client.chat.completions.create(
                model="Qwen/Qwen2.5-7B", messages=[{"role": "user", "content": prompt}], stream=True,
            )
            async for chunk in stream:
                print(chunk.choices[0].delta.content or "", end="")
"""


def test_openai_streaming_response_and_async_client_as_context_manager():
    assert requests_of(OPENAI_STREAMING) == [
        (9, "chat", "Qwen/Qwen2.5-7B", 0.0),
        (18, "chat", "Qwen/Qwen2.5-7B", None),
    ]


def test_urls_that_are_not_model_routes_give_nothing():
    assert requests_of("""
        import httpx, requests
        BASE = "http://localhost:8000"
        body = {"model": "Qwen/Qwen2.5-7B", "input": "x"}
        httpx.stream("POST", f"{BASE}/v1/embeddings", json=body)
        requests.request("POST", BASE + "/tokenize", json=body)
        httpx.Client().stream("POST", BASE + "/v1/completions/metrics", json=body)
        httpx.post(f"{BASE}/v1/completions")
    """) == []


def test_a_streaming_benchmark_is_found_end_to_end(project):
    """A serving launch and a TTFT benchmark in one project: VL001 and VL002 on the stream call, with the
    route and the model's place in the evidence."""
    root = project({
        "serve.sh": "vllm serve meta-llama/Llama-3.1-8B --port 8000\n",
        "bench/ttft.py": TTFT_BENCHMARK,
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "bench/ttft.py", 20), ("VL002", "bench/ttft.py", 20)]
    chat = next(f for f in result.findings if f.rule == "VL001")
    assert "HTTP POST /v1/chat/completions" in chat.message
    assert any("bench/ttft.py:8" in line for line in chat.evidence)
