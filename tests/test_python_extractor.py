"""The Python extractor: every client form, true and false cases, asserted at the fact level."""

from __future__ import annotations

import textwrap

import pytest

from vlint.extract.python import extract_python


def requests_of(source: str):
    facts = extract_python(textwrap.dedent(source).lstrip("\n"), "client.py")
    assert not facts.errors, facts.errors
    return facts.requests


def one(source: str):
    found = requests_of(source)
    assert len(found) == 1, found
    return found[0]


def test_openai_v1_chat_with_literals():
    r = one("""
        from openai import OpenAI
        client = OpenAI(base_url="http://localhost:8000/v1", api_key="x")
        resp = client.chat.completions.create(
            model="Qwen/Qwen2.5-14B",
            messages=[{"role": "user", "content": "Hello"}],
            temperature=0.1,
        )
    """)
    assert (r.api, r.model.literal, r.temperature.literal, r.location.line) == ("chat", "Qwen/Qwen2.5-14B", 0.1, 3)
    assert r.messages == (("user", "Hello"),)


@pytest.mark.parametrize("call, api", [
    ("client.chat.completions.with_raw_response.create", "chat"),
    ("client.chat.completions.with_streaming_response.create", "chat"),
    ("client.beta.chat.completions.parse", "chat"),
    ("await aclient.chat.completions.create", "chat"),
    ("client.completions.create", "completion"),
    ("openai.ChatCompletion.create", "chat"),
    ("openai.Completion.create", "completion"),
    ("OpenAI().chat.completions.create", "chat"),
])
def test_openai_call_shapes(call, api):
    r = one(f"""
        import openai
        from openai import OpenAI
        async def go(client, aclient):
            return {call}(model="m/base", messages=[], temperature=0)
    """)
    assert r.api == api and r.model.literal == "m/base" and r.temperature.literal == 0


def test_extra_body_temperature_and_template():
    r = one("""
        from openai import OpenAI
        c = OpenAI()
        c.chat.completions.create(model="x/y", messages=[], extra_body={"chat_template": "{{x}}", "temperature": 0.2})
    """)
    assert r.temperature.literal == 0.2 and r.chat_template


def test_module_and_function_constants_env_defaults_and_argparse():
    found = requests_of("""
        import os, argparse
        from openai import OpenAI
        MODEL = os.environ.get("MODEL_NAME", "Qwen/Qwen2.5-7B")
        TEMP = 0.05
        client = OpenAI()
        def ask(q, model="meta-llama/Llama-3.1-8B"):
            local_model = os.getenv("OTHER", "mistralai/Mistral-7B-v0.1")
            client.chat.completions.create(model=MODEL, messages=[], temperature=TEMP)
            client.chat.completions.create(model=model, messages=[])
            client.chat.completions.create(model=local_model, messages=[])
        parser = argparse.ArgumentParser()
        parser.add_argument("--model-name", default="Qwen/Qwen2.5-0.5B")
        args = parser.parse_args()
        client.chat.completions.create(model=args.model_name, messages=[])
    """)
    models = [(r.model.literal, r.model.env) for r in found]
    assert models == [("Qwen/Qwen2.5-7B", "MODEL_NAME"), ("meta-llama/Llama-3.1-8B", None),
                      ("mistralai/Mistral-7B-v0.1", "OTHER"), ("Qwen/Qwen2.5-0.5B", None)]
    assert found[0].temperature.literal == 0.05
    assert "argparse default" in found[3].model.note


def test_kwargs_dict_and_class_attributes():
    found = requests_of("""
        from openai import OpenAI
        class Bot:
            def __init__(self, model="Qwen/Qwen2.5-3B"):
                self.client = OpenAI()
                self.model = model
            def ask(self):
                params = dict(model=self.model, temperature=0.0)
                return self.client.chat.completions.create(messages=[], **params)
    """)
    assert found[0].model.literal == "Qwen/Qwen2.5-3B" and found[0].temperature.literal == 0.0


def test_unresolvable_model_has_no_value():
    found = requests_of("""
        from openai import OpenAI
        client = OpenAI()
        model_id = client.models.list().data[0].id
        client.chat.completions.create(model=model_id, messages=[])
        client.chat.completions.create(model=get_model(), messages=[])
    """)
    # the model asked of the server has no literal, only a mark the linker reads (issue 17 item 1)
    assert found[0].model.literal is None and found[0].model.served_model
    assert found[1].model is None


def test_docstrings_comments_and_unrelated_calls_are_not_requests():
    assert requests_of('''
        """Uses Qwen/Qwen2.5-14B through client.chat.completions.create(model="Qwen/Qwen2.5-14B")."""
        # client.chat.completions.create(model="Qwen/Qwen2.5-14B", temperature=0.1)
        thermostat.set(temperature=0.1)
        weather.create(model="Qwen/Qwen2.5-14B", temperature=0.1)
        print("client.chat.completions.create")
    ''') == []


def test_vllm_offline_llm_chat_generate_and_sampling_params_anywhere():
    found = requests_of("""
        from vllm import LLM, SamplingParams
        def build():
            return None
        def run():
            llm = LLM(model="Qwen/Qwen2.5-0.5B")
            llm.chat([{"role": "user", "content": "hi"}], sampling_params=greedy)
            llm.generate(["hi"], greedy)
            llm.generate(["hi"])
            LLM("meta-llama/Llama-3.1-8B").chat([{"role": "user", "content": "x"}], SamplingParams(max_tokens=5))
        def config():
            greedy = SamplingParams(temperature=0.0)
    """)
    summary = [(r.api, r.model.literal, r.temperature.literal if r.temperature else None, r.default_temperature)
               for r in found]
    assert summary == [
        ("offline-chat", "Qwen/Qwen2.5-0.5B", 0.0, 1.0),
        ("offline-generate", "Qwen/Qwen2.5-0.5B", 0.0, 1.0),
        ("offline-generate", "Qwen/Qwen2.5-0.5B", None, 1.0),
        ("offline-chat", "meta-llama/Llama-3.1-8B", None, 1.0),
    ]


def test_langchain_chat_vs_completion_models():
    found = requests_of("""
        from langchain_openai import ChatOpenAI, OpenAI
        from langchain_community.llms import VLLMOpenAI, VLLM
        from langchain_community.chat_models import ChatVLLMOpenAI
        a = ChatOpenAI(model="Qwen/Qwen2.5-7B", temperature=0.1)
        b = ChatOpenAI(model_name="Qwen/Qwen2.5-7B")
        c = VLLMOpenAI(model_name="Qwen/Qwen2.5-7B")
        d = OpenAI(model_name="Qwen/Qwen2.5-7B")
        e = VLLM(model="Qwen/Qwen2.5-7B")
        f = ChatVLLMOpenAI(model="Qwen/Qwen2.5-7B")
    """)
    assert [r.api for r in found] == ["chat", "chat", "completion", "completion", "offline-generate", "chat"]


def test_openai_client_constructor_is_not_a_request():
    assert requests_of("""
        from openai import OpenAI
        client = OpenAI(api_key="x", base_url="http://localhost:8000/v1")
    """) == []


def test_litellm_completion_strips_provider_prefix_and_needs_messages():
    found = requests_of("""
        import litellm
        from litellm import completion, acompletion
        completion(model="hosted_vllm/Qwen/Qwen2.5-7B", messages=[{"role": "user", "content": "hi"}], temperature=0)
        litellm.acompletion(model="openai/Qwen/Qwen2.5-7B", messages=[])
        litellm.batch_completion(model="vllm/Qwen/Qwen2.5-7B", messages=[[]])
        completion(model="hosted_vllm/Qwen/Qwen2.5-7B", prompt="no messages")
    """)
    assert [(r.api, r.model.literal) for r in found] == [("chat", "Qwen/Qwen2.5-7B")] * 3


@pytest.mark.parametrize("url", [
    '"http://localhost:8000/v1/chat/completions"',
    'f"{BASE}/v1/chat/completions"',
    'BASE + "/v1/chat/completions"',
    'CHAT_URL',
    'f"http://{host}:8000/v1/chat/completions"',
])
def test_http_posts_to_chat_route(url):
    r = one(f"""
        import requests, json
        BASE = "http://localhost:8000"
        CHAT_URL = BASE + "/v1/chat/completions"
        def go(host):
            body = {{"model": "Qwen/Qwen2.5-7B", "messages": [], "temperature": 0.1}}
            return requests.post({url}, json=body)
    """)
    assert (r.api, r.model.literal, r.temperature.literal) == ("chat", "Qwen/Qwen2.5-7B", 0.1)


def test_http_completion_route_httpx_and_data_json_dumps():
    found = requests_of("""
        import httpx, json, aiohttp
        httpx.post("http://h/v1/completions", data=json.dumps({"model": "a/b", "prompt": "x"}))
        async def f(session):
            await session.post("http://h/v1/chat/completions", json={"model": "c/d", "messages": []})
        httpx.post("http://h/v1/embeddings", json={"model": "e/f"})
        httpx.get("http://h/v1/models")
    """)
    assert [(r.api, r.model.literal) for r in found] == [("completion", "a/b"), ("chat", "c/d")]


def test_syntax_error_is_reported_not_raised():
    """A module that makes a client is parsed even with no request in it, so its syntax error shows."""
    facts = extract_python("from openai import OpenAI\nclient = OpenAI(\n    base_url=URL)\ndef broken(:\n", "bad.py")
    assert facts.requests == [] and facts.errors and facts.errors[0].path == "bad.py"


def test_naming_the_client_class_alone_is_not_a_reason_to_parse():
    """Type hints and subclass names (`OpenAIServing`, `-> OpenAI`) hold no fact and no client."""
    facts = extract_python("from openai import OpenAI\ndef get() -> OpenAI:\n    return CLIENT\ndef broken(:\n",
                           "hints.py")
    assert facts.errors == []


def test_prefilter_skips_files_without_trigger_words():
    facts = extract_python("def broken(:\n  x = 1\n", "plain.py")
    assert facts.errors == []  # never parsed: nothing in it could be a request


def test_config_classes_conditionals_and_cli_option_defaults():
    found = requests_of("""
        import sys
        from dataclasses import dataclass, field
        import click
        import typer
        from pydantic import BaseModel, Field
        from openai import OpenAI

        @dataclass
        class Settings:
            model: str = "Qwen/Qwen2.5-7B"
            temperature: float = 0.0

        class Cfg(BaseModel):
            model_name: str = Field(default="meta-llama/Llama-3.1-8B")

        MODEL = sys.argv[1] if len(sys.argv) > 1 else "mistralai/Mistral-7B-v0.1"
        client = OpenAI()
        settings = Settings()
        client.chat.completions.create(model=settings.model, messages=[], temperature=settings.temperature)
        client.chat.completions.create(model=Cfg().model_name, messages=[])
        client.chat.completions.create(model=Settings(model="Qwen/Qwen2.5-7B-Instruct").model, messages=[])
        client.chat.completions.create(model=MODEL, messages=[])

        @click.command()
        @click.option("--model-id", default="Qwen/Qwen2.5-0.5B")
        def main(model_id):
            client.chat.completions.create(model=model_id, messages=[])

        def cli(model: str = typer.Option("Qwen/Qwen2.5-1.5B", help="model")):
            client.chat.completions.create(model=model, messages=[])
    """)
    assert [r.model.literal for r in found] == [
        "Qwen/Qwen2.5-7B", "meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-7B-Instruct", "mistralai/Mistral-7B-v0.1",
        "Qwen/Qwen2.5-0.5B", "Qwen/Qwen2.5-1.5B"]
    assert found[0].temperature.literal == 0.0


def test_other_chat_frameworks():
    found = requests_of("""
        import dspy
        from langchain.chat_models import init_chat_model
        from langchain_openai import AzureChatOpenAI
        from langchain_community.chat_models import ChatLiteLLM
        a = init_chat_model("Qwen/Qwen2.5-7B", model_provider="openai", temperature=0)
        b = dspy.LM("openai/Qwen/Qwen2.5-7B", api_base="http://localhost:8000/v1")
        c = dspy.LM("openai/Qwen/Qwen2.5-7B", model_type="text")
        d = AzureChatOpenAI(model="Qwen/Qwen2.5-7B")
        e = ChatLiteLLM(model="hosted_vllm/Qwen/Qwen2.5-7B")
    """)
    assert [(r.api, r.model.literal) for r in found] == [
        ("chat", "Qwen/Qwen2.5-7B"), ("chat", "Qwen/Qwen2.5-7B"), ("completion", "Qwen/Qwen2.5-7B"),
        ("chat", "Qwen/Qwen2.5-7B"), ("chat", "Qwen/Qwen2.5-7B")]
