"""Issue 17 items 2, 3, 6 and 7 through `vlint scan`, as a user runs it: one project with a time-to-first-token
benchmark (streaming and generic HTTP forms), an offline engine and a Ray actor that chats by hand, a
notebook export, a file with one broken statement, and an evaluation program run by its shell script."""

from __future__ import annotations

from vlint.cli import main

BENCH = '''\
import json, time, urllib.request

import aiohttp
import httpx
import requests

BASE = "http://localhost:8000"
MODEL = "meta-llama/Llama-3.1-8B"


def ttft(prompt):
    body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}], "stream": True}
    start = time.perf_counter()
    with httpx.Client(timeout=60) as client:
        with client.stream("POST", f"{BASE}/v1/chat/completions", json=body) as response:
            for _ in response.iter_lines():
                return time.perf_counter() - start


def complete(prompt):
    return requests.request("POST", BASE + "/v1/completions", json={"model": MODEL, "prompt": prompt})


async def chat(prompt):
    async with aiohttp.ClientSession() as session:
        async with session.request("POST", f"{BASE}/v1/chat/completions",
                                   json={"model": MODEL, "messages": [{"role": "user", "content": prompt}]}) as r:
            return await r.json()


def chat_stdlib(prompt):
    data = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": prompt}], "temperature": 0}).encode()
    return urllib.request.urlopen(urllib.request.Request(f"{BASE}/v1/chat/completions", data=data)).read()
'''

WORKERS = '''\
import uuid

import ray
from transformers import AutoTokenizer
from vllm import EngineArgs, LLM, LLMEngine, SamplingParams


def build(model="mistralai/Mistral-7B-v0.1"):
    return LLMEngine.from_engine_args(EngineArgs(model=model))


def probe():
    build().add_request(str(uuid.uuid4()), "Once upon a time", SamplingParams(temperature=0.0, max_tokens=256))


@ray.remote(num_gpus=1)
class Solver:
    def __init__(self, path):
        self.llm = LLM(model=path)
        self.tokenizer = AutoTokenizer.from_pretrained(path)

    def solve(self, questions):
        texts = [self.tokenizer.apply_chat_template([{"role": "user", "content": q}], tokenize=False,
                                                    add_generation_prompt=True) for q in questions]
        return self.llm.generate(texts, SamplingParams(temperature=0.7, max_tokens=1024))


solvers = [Solver.remote("Qwen/Qwen2.5-7B") for _ in range(4)]
'''

EXPORT = '''\
# In[1]:
!pip install -q openai
%load_ext autoreload
from openai import OpenAI
client = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")

# In[2]:
%time reply = client.chat.completions.create(model="meta-llama/Llama-2-7b-hf", messages=[{"role": "user", "content": "hi"}])
'''

HALF_EDITED = '''\
from openai import OpenAI

answer = OpenAI().chat.completions.create(model="meta-llama/Llama-2-13b-hf", messages=[{"role": "user", "content": "hi"}])

def retry(:
    pass
'''

EVAL = '''\
import argparse

from vllm import LLM, SamplingParams


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model_name_or_path", default="Qwen/Qwen2.5-7B-Instruct")
    parser.add_argument("--temperature", type=float, default=0.7)
    args = parser.parse_args()
    llm = LLM(model=args.model_name_or_path)
    print(llm.chat([{"role": "user", "content": "2+2?"}], SamplingParams(temperature=args.temperature)))


if __name__ == "__main__":
    main()
'''


def test_items_2_3_6_7_through_the_command_line(project, monkeypatch, capsys):
    root = project({
        "bench/ttft.py": BENCH, "offline/workers.py": WORKERS, "notebooks/explore.py": EXPORT,
        "client/half_edited.py": HALF_EDITED, "eval/run_eval.py": EVAL,
        "scripts/eval_base.sh": "#!/bin/bash\npython eval/run_eval.py --model_name_or_path Qwen/Qwen2.5-7B --temperature 0\n",
    })
    monkeypatch.chdir(root)
    assert main(["scan", "--no-cache", "--format", "concise"]) == 1
    out = capsys.readouterr().out
    found = sorted(line.split(" ")[0] + " " + line.split(" ")[1] for line in out.splitlines()
                   if line.split(" ")[1:2] and line.split(" ")[1].startswith("VL"))
    assert found == [
        "bench/ttft.py:15:14: VL001",  # httpx Client.stream("POST", ...)
        "bench/ttft.py:26:20: VL001",  # aiohttp session.request
        "bench/ttft.py:33:35: VL001",  # urllib.request with a JSON body
        "bench/ttft.py:33:35: VL002",
        "client/half_edited.py:3:10: VL001",  # next to its error entry
        "eval/run_eval.py:12:11: VL001",  # the run's --model_name_or_path, not the instruct default
        "eval/run_eval.py:12:11: VL002",  # and its --temperature 0
        "notebooks/explore.py:8:15: VL001",  # past `%time`, at the statement's own columns
        "offline/workers.py:13:5: VL002",  # LLMEngine.add_request through from_engine_args
        "offline/workers.py:25:16: VL001",  # a Ray actor that chats by hand
    ]
    assert "client/half_edited.py:5: error: Python syntax error" in out
    assert "notebooks/explore.py" not in "".join(line for line in out.splitlines() if "error:" in line)
    assert "requests.request" not in out  # a completions request without a temperature: nothing to say


def test_a_commit_of_the_script_alone_reports_the_program_it_runs(project, monkeypatch, capsys):
    """Project-aware runs (issue 16) with item 7: pre-commit passes only the changed shell script; the
    findings are at the program it runs, whose defaults the script's options override, warm or cold."""
    root = project({".git/HEAD": "ref: refs/heads/main\n", "eval/run_eval.py": EVAL,
                    "scripts/eval_base.sh": "#!/bin/bash\npython eval/run_eval.py --model_name_or_path Qwen/Qwen2.5-7B"
                                            " --temperature 0\n"})
    monkeypatch.chdir(root)
    monkeypatch.setenv("VLINT_CACHE_DIR", str(root.parent / "cache"))
    for _ in range(2):  # cold, then from the cache
        assert main(["scan", "--format", "concise", "scripts/eval_base.sh"]) == 1
        out = capsys.readouterr().out
        assert [line.split(" ")[:2] for line in out.splitlines() if line.split(" ")[1:2] in (["VL001"], ["VL002"])] == [
            ["eval/run_eval.py:12:11:", "VL001"], ["eval/run_eval.py:12:11:", "VL002"]]
        assert "scripts/eval_base.sh:2:" in out
