"""A synthetic monorepo of any size with a known number of planted findings.

`python bench/synth.py OUT --files 10000` writes about that many files: Python services, YAML (k8s,
compose, CI), shell scripts, Dockerfiles and Markdown. One file in PLANT_EVERY belongs to a planted
group, a small set of files that together hold exactly the findings the group declares: a base model
queried through chat, sampled at low temperature, offline vLLM, or served under an alias by a k8s
Deployment, a compose service, a shell script or a Dockerfile and used by a client elsewhere. Every
other file is filler that must stay silent: ordinary code, and near misses (instruct models, docstring
and comment mentions, `thermostat.set(temperature=0.1)`, base models used through completions at 0.8,
launches of instruct models). The expected count is written beside OUT, to OUT.expected.json.

Everything is deterministic for a given size, so repeated runs scan the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BASE_MODELS = ("Qwen/Qwen2.5-7B", "meta-llama/Llama-3.1-8B", "mistralai/Mistral-7B-v0.1", "google/gemma-2-9b")
INSTRUCT_MODELS = ("Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B-Instruct",
                   "mistralai/Mistral-7B-Instruct-v0.3", "google/gemma-2-9b-it")
PLANT_EVERY = 40  # one planted group per this many files

Files = dict[str, str]


@dataclass(frozen=True)
class Group:
    """A template: files for group `i`, and how many findings (by rule) they hold."""

    name: str
    make: Callable[[int, random.Random], Files]
    findings: dict[str, int]


# ---- planted groups ---------------------------------------------------------------------------------

def _chat_literal(i: int, rng: random.Random) -> Files:
    model = rng.choice(BASE_MODELS)
    return {f"services/chat_{i}/client.py": f'''"""Support bot {i}."""
from openai import OpenAI

client = OpenAI(base_url="http://llm-{i}:8000/v1", api_key="EMPTY")


def answer(question: str) -> str:
    reply = client.chat.completions.create(
        model="{model}",
        messages=[{{"role": "user", "content": question}}],
        temperature=0.7,
    )
    return reply.choices[0].message.content
'''}


def _completion_low_temp(i: int, rng: random.Random) -> Files:
    model = rng.choice(BASE_MODELS)
    return {f"jobs/complete_{i}/run.py": f'''import os

from openai import OpenAI

MODEL = os.environ.get("MODEL_{i}", "{model}")
client = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")


def continue_text(prefix: str) -> str:
    out = client.completions.create(model=MODEL, prompt=prefix, temperature=0.1, max_tokens=64)
    return out.choices[0].text
'''}


def _offline_greedy(i: int, rng: random.Random) -> Files:
    model = rng.choice(BASE_MODELS)
    return {f"batch/offline_{i}/generate.py": f'''from vllm import LLM, SamplingParams

PROMPTS = ["The capital of France is", "def fibonacci(n):"]


def main() -> None:
    llm = LLM(model="{model}")
    params = SamplingParams(temperature=0.0, max_tokens=32)
    for out in llm.generate(PROMPTS, params):
        print(out.outputs[0].text)


if __name__ == "__main__":
    main()
'''}


def _k8s_alias(i: int, rng: random.Random) -> Files:
    model = rng.choice(BASE_MODELS)
    return {
        f"deploy/k8s/llm-{i}.yaml": f'''apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm-{i}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: llm-{i}}}
  template:
    metadata:
      labels: {{app: llm-{i}}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.11.0
          args: ["--model", "{model}", "--served-model-name", "team-{i}-prod", "--max-model-len", "8192"]
          ports:
            - containerPort: 8000
''',
        f"apps/assistant_{i}/app.py": f'''import os

from openai import OpenAI

client = OpenAI(base_url=os.environ.get("LLM_URL", "http://llm-{i}:8000/v1"), api_key="EMPTY")


def handle(text):
    return client.chat.completions.create(model="team-{i}-prod", messages=[{{"role": "user", "content": text}}])
''',
    }


def _compose_shell(i: int, rng: random.Random) -> Files:
    model = rng.choice(BASE_MODELS)
    return {
        f"stacks/stack_{i}/docker-compose.yml": f'''services:
  vllm:
    image: vllm/vllm-openai:latest
    command: ["--model", "{model}", "--served-model-name", "stack-{i}"]
    ports: ["8000:8000"]
  web:
    image: nginx:1.27
''',
        f"stacks/stack_{i}/smoke.sh": f'''#!/usr/bin/env bash
set -euo pipefail
curl -s http://localhost:8000/v1/chat/completions \\
  -H 'Content-Type: application/json' \\
  -d '{{"model": "stack-{i}", "messages": [{{"role": "user", "content": "ping"}}], "temperature": 0.2}}'
''',
    }


def _shell_serve(i: int, rng: random.Random) -> Files:
    model = rng.choice(BASE_MODELS)
    return {
        f"scripts/serve_{i}.sh": f'''#!/usr/bin/env bash
set -euo pipefail
PORT="${{PORT:-8000}}"
exec vllm serve {model} --port "$PORT" --served-model-name shell-{i}
''',
        f"tools/probe_{i}.py": f'''import requests


def probe():
    body = {{"model": "shell-{i}", "messages": [{{"role": "user", "content": "hi"}}], "temperature": 0.9}}
    return requests.post("http://localhost:8000/v1/chat/completions", json=body, timeout=10).json()
''',
    }


def _dockerfile_alias(i: int, rng: random.Random) -> Files:
    model = rng.choice(BASE_MODELS)
    return {
        f"images/llm_{i}/Dockerfile": f'''FROM vllm/vllm-openai:v0.11.0
ENV HF_HOME=/models
CMD ["--model", "{model}", "--served-model-name", "img-{i}"]
''',
        f"images/llm_{i}/client.py": f'''from openai import AsyncOpenAI

client = AsyncOpenAI(base_url="http://img-{i}:8000/v1", api_key="EMPTY")


async def ask(q):
    return await client.chat.completions.create(model="img-{i}", messages=[{{"role": "user", "content": q}}])
''',
    }


PLANTED = (
    Group("python chat, literal base model", _chat_literal, {"VL001": 1}),
    Group("python completions at 0.1 (env default)", _completion_low_temp, {"VL002": 1}),
    Group("vLLM offline generate at 0.0", _offline_greedy, {"VL002": 1}),
    Group("k8s Deployment alias + python chat client", _k8s_alias, {"VL001": 1}),
    Group("compose alias + shell curl chat at 0.2", _compose_shell, {"VL001": 1, "VL002": 1}),
    Group("shell vllm serve alias + requests.post chat", _shell_serve, {"VL001": 1}),
    Group("Dockerfile CMD alias + async chat client", _dockerfile_alias, {"VL001": 1}),
)


# ---- filler: ordinary files and near misses ------------------------------------------------------------

_WORDS = ("order", "invoice", "user", "cart", "price", "report", "session", "ledger", "metric", "queue",
          "route", "tenant", "shipment", "token", "schedule", "profile", "account", "batch", "cache", "event")


def _plain_python(i: int, rng: random.Random) -> str:
    noun = rng.choice(_WORDS)
    funcs = []
    for k in range(rng.randint(3, 12)):
        funcs.append(f'''

def compute_{noun}_{k}(items: list[dict], factor: float = {rng.random():.3f}) -> float:
    """Sum the {noun} values of `items`, scaled by `factor`."""
    total = 0.0
    for item in items:
        if item.get("active", True):
            total += float(item.get("{noun}", 0)) * factor
        elif item.get("retry"):
            total -= {k} * factor
    return round(total, 4)''')
    return f'''"""The {noun} module {i}."""
from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class {noun.title()}{i}:
    id: int
    name: str
    weight: float = 1.0

    def scaled(self, by: float) -> float:
        return self.weight * by
''' + "".join(funcs) + "\n"


def _near_miss_python(i: int, rng: random.Random) -> str:
    variant = i % 6
    if variant == 0:  # an instruct model through chat: correct
        return f'''from openai import OpenAI

client = OpenAI()


def ask(q):
    return client.chat.completions.create(model="{rng.choice(INSTRUCT_MODELS)}", temperature=0.1,
                                          messages=[{{"role": "user", "content": q}}])
'''
    if variant == 1:  # a base model through completions at a healthy temperature: correct
        return f'''from openai import OpenAI

client = OpenAI()


def go(prefix):
    return client.completions.create(model="{rng.choice(BASE_MODELS)}", prompt=prefix, temperature=0.8)
'''
    if variant == 2:  # temperature of something else entirely
        return f'''from home.devices import Thermostat

thermostat = Thermostat("room-{i}")
thermostat.set(temperature=0.1)
thermostat.schedule(temperature=0.2, at="06:00")
'''
    if variant == 3:  # mentions only, in a docstring and a comment
        return f'''"""Do not call client.chat.completions.create(model="{rng.choice(BASE_MODELS)}") with a base model.

vllm serve {rng.choice(BASE_MODELS)} is what the old runbook said.
"""
# SamplingParams(temperature=0) was the bug; LLM is not used here.


def noop():
    return None
'''
    if variant == 4:  # an instruct model offline
        return f'''from vllm import LLM, SamplingParams

llm = LLM(model="{rng.choice(INSTRUCT_MODELS)}")
print(llm.chat([{{"role": "user", "content": "hello"}}], SamplingParams(temperature=0.0)))
'''
    return f'''import subprocess


def build():
    subprocess.run(["make", "-j8", "all"], check=True)
    subprocess.run(["docker", "build", "-t", "web:{i}", "."], check=True)
'''


def _plain_yaml(i: int, rng: random.Random) -> str:
    if i % 3 == 0:
        return f'''name: ci-{i}
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test SHARD={i % 7}
'''
    if i % 3 == 1:  # a vLLM deployment of an instruct model: silent
        return f'''apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-{i}
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.11.0
          args: ["--model", "{rng.choice(INSTRUCT_MODELS)}", "--served-model-name", "chat-{i}"]
'''
    return f'''apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-{i}
data:
  LOG_LEVEL: info
  REPLICAS: "{rng.randint(1, 9)}"
  FEATURE_{rng.choice(_WORDS).upper()}: "on"
'''


def _plain_shell(i: int, rng: random.Random) -> str:
    if i % 2:
        return f'''#!/usr/bin/env bash
set -euo pipefail
for f in build/*.tar; do
  tar -xf "$f" -C /tmp/unpack-{i}
done
echo "done {i}"
'''
    return f'''#!/usr/bin/env bash
# Serves an instruct model: fine.
vllm serve {rng.choice(INSTRUCT_MODELS)} --port 80{i % 100:02d}
'''


def _plain_dockerfile(i: int, rng: random.Random) -> str:
    return f'''FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "-m", "service_{i}"]
'''


def _plain_markdown(i: int, rng: random.Random) -> str:
    return f'''# Service {i}

This service talks to the `{rng.choice(_WORDS)}` store. Do not serve a base model such as
{rng.choice(BASE_MODELS)} for chat; see the runbook.

- owner: team-{i % 13}
- on call: rotation {i % 5}
'''


FILLERS: tuple[tuple[str, str, Callable[[int, random.Random], str], int], ...] = (
    # (folder, file name pattern, maker, weight)
    ("pkg{shard}/mod_{i}", "core.py", _plain_python, 55),
    ("pkg{shard}/near_{i}", "near.py", _near_miss_python, 10),
    ("config{shard}", "cfg_{i}.yaml", _plain_yaml, 14),
    ("scripts{shard}", "task_{i}.sh", _plain_shell, 8),
    ("docker{shard}/svc_{i}", "Dockerfile", _plain_dockerfile, 3),
    ("docs{shard}", "page_{i}.md", _plain_markdown, 10),
)


def _pick_filler(pick: float) -> tuple[str, str, Callable[[int, random.Random], str], int]:
    for filler in FILLERS:
        pick -= filler[3]
        if pick <= 0:
            return filler
    return FILLERS[-1]


def generate(out: Path, n_files: int, seed: int = 0) -> dict[str, object]:
    """Write about `n_files` files under `out` (emptied first); return the manifest."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rng = random.Random(seed)
    files: Files = {}
    expected: dict[str, int] = {}
    groups = max(1, n_files // PLANT_EVERY)
    for g in range(groups):
        group = PLANTED[g % len(PLANTED)]
        files.update(group.make(g, rng))
        for rule, count in group.findings.items():
            expected[rule] = expected.get(rule, 0) + count
    total_weight = sum(w for *_, w in FILLERS)
    i = 0
    while len(files) < n_files:
        folder, name, make, _ = _pick_filler(rng.uniform(0, total_weight))
        path = f"{folder.format(shard=i % 50, i=i)}/{name.format(i=i)}"
        files[path] = make(i, rng)
        i += 1
    total_bytes = 0
    for rel, text in files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        total_bytes += len(text.encode())
    manifest = {"files": len(files), "bytes": total_bytes, "planted_groups": groups,
                "expected_findings": dict(sorted(expected.items())),
                "expected_total": sum(expected.values()), "seed": seed}
    out.with_name(out.name + ".expected.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(generate(args.out, args.files, args.seed)))


if __name__ == "__main__":
    main()
