"""Slicing (`vlint/extract/python/slicer.py`): libcst parses only what the visitor can need, and the facts
are exactly those of the whole module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from vlint.extract.python import slicer as pyslice
from vlint.extract.python.pipeline import extract_python
from vlint.extract.python.survey import Survey

ROOT = Path(__file__).resolve().parents[1]

# Each module has a fact whose value comes from a function that holds no request itself.
CASES = {
    "engine bound in __init__, used in another method": '''
from vllm import LLM, SamplingParams

class Runner:
    def __init__(self, name="Qwen/Qwen2.5-7B"):
        self.llm = LLM(model=name)
        self.notes = [1, 2, 3]

    def helper(self):
        return sum(self.notes)

    def run(self, prompts):
        return self.llm.generate(prompts, SamplingParams(temperature=0.0))
''',
    "sampling parameters made in another function": '''
from vllm import LLM, SamplingParams as SP

def params():
    greedy = SP(temperature=0.05)
    return greedy

def unrelated(x):
    y = x * 2
    return y

def main():
    llm = LLM("Qwen/Qwen2.5-7B")
    llm.generate(["a"], greedy)
''',
    "argparse defaults declared in a helper": '''
import argparse
from openai import OpenAI

def add_args(parser):
    parser.add_argument("--model", default="Qwen/Qwen2.5-14B")
    parser.add_argument("--temperature", type=float, default=0.1)

def other():
    return [i for i in range(10)]

def main():
    args = argparse.ArgumentParser().parse_args()
    OpenAI().chat.completions.create(model=args.model, temperature=args.temperature, messages=[])
''',
    "import inside another function": '''
def setup():
    from openai import OpenAI as Client
    return Client

def noise():
    return [1, 2]

def main():
    from openai import OpenAI
    OpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[])
''',
    "import and class inside other functions": '''
from openai import OpenAI

def lazy():
    from litellm import completion
    return completion

def config():
    class Settings:
        model = "Qwen/Qwen2.5-14B"
    return Settings

def noise():
    return [1, 2]

def ask():
    completion(model="Qwen/Qwen2.5-7B", messages=[{"role": "user", "content": "hi"}])
    OpenAI().chat.completions.create(model=Settings.model, messages=[])
''',
    "decorator, defaults and one-liners": '''
import os, subprocess
from openai import OpenAI

MODEL = os.getenv("MODEL", "Qwen/Qwen2.5-14B")

def noise(a, b): return a + b

@app.post("/v1/chat/completions")
def proxy(body=None):
    return body

async def unrelated(x,
                    y): pass

def launch(
    model=MODEL,
):
    subprocess.run(["vllm", "serve", model, "--port", "8000"])

class Client:
    model = MODEL

    class Inner:
        def deep(self):
            return 1

    def ask(self):
        return OpenAI().chat.completions.create(model=self.model, messages=[], temperature=0.1)
''',
    "statements a kept call reads, through chains, branches and blocks": '''
from openai import OpenAI
import json

BASE = "Qwen/Qwen2.5"
UNUSED_TABLE = {"a": [1, 2, 3], "b": [4, 5, 6]}
SIZE_DEFAULT = "14B"
if json:
    SIZE = SIZE_DEFAULT
else:
    SIZE = "7B"

def main(flag=False):
    """Docstring."""
    size = SIZE
    noise = json.dumps(UNUSED_TABLE)
    for i in range(3):
        noise += str(i)
    name = f"{BASE}-{size}"
    if flag:
        print(noise)
    elif noise:
        print("x")
    else:
        temperature = 0.1
    if flag:
        top_p = 0.2
    elif noise:
        print("never needed")
    try:
        client = OpenAI()
    except Exception:
        raise
    finally:
        print("done")
    with open("log") as log:
        log.write(noise)
    while flag:
        flag = False
    x = 1; model = name
    client.chat.completions.create(model=model, temperature=temperature, top_p=top_p, messages=[])
''',
    "a closure, a loop target and a with target": '''
import contextlib
from openai import OpenAI

def outer(models):
    chosen = "Qwen/Qwen2.5-14B"
    junk = [m.upper() for m in models]
    for temperature in (0.0, 0.1):
        junk.append(temperature)
        with contextlib.nullcontext(OpenAI()) as client:
            print(junk)

            def inner():
                return client.chat.completions.create(model=chosen, temperature=temperature, messages=[])
    return inner
''',
    "decorators: click options kept, the rest left out": '''
import click
import pytest
from openai import OpenAI

@pytest.mark.parametrize(
    "x",
    [1, 2, 3],
)  # a comment
@click.command()
@click.option("--model", default="Qwen/Qwen2.5-14B")
@click.option("--temperature", type=float, default=0.1)
def main(model, temperature, x=None):
    OpenAI().chat.completions.create(model=model, temperature=temperature, messages=[])
''',
    "a stubbed function whose body starts with a decorated function": '''
import functools
from openai import OpenAI

def unused(model):
    @functools.lru_cache()
    def inner():
        return model
    return inner

def ask():
    OpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[])
''',
    "engine argument makers in a table and one called by name": '''
from dataclasses import asdict
from vllm import LLM, EngineArgs, SamplingParams

def run_alpha(question):
    prompt = f"<image>{question}"
    return EngineArgs(model="org/alpha-7b", max_model_len=4096), prompt

def run_beta(question):
    return EngineArgs(model="org/beta-2b"), question

MAKERS = {"alpha": run_alpha, "beta": run_beta}

def main(kind, question):
    args, prompt = MAKERS[kind](question)
    LLM(**asdict(args)).generate(prompt, SamplingParams(temperature=0.2))
    args, prompt = run_beta(question)
    LLM(**asdict(args)).generate(prompt, SamplingParams(temperature=0.2))
''',
    "crlf line endings": "from openai import OpenAI\r\n\r\ndef unused():\r\n    x = 1\r\n    return x\r\n\r\n"
                         "def ask():\r\n    OpenAI().chat.completions.create(\r\n        model='Qwen/Qwen2.5-14B',"
                         "\r\n        messages=[],\r\n    )\r\n",
}


def _whole(monkeypatch: pytest.MonkeyPatch, text: str, path: str) -> object:
    with monkeypatch.context() as patch:
        patch.setattr(pyslice, "slice_module", lambda text, tree, survey: pyslice.Sliced(text, None))
        return extract_python(text, path)


@pytest.mark.parametrize("name", sorted(CASES))
def test_facts_are_those_of_the_whole_module(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = CASES[name]
    sliced = extract_python(text, "m.py")
    assert sliced.requests or sliced.serves
    assert repr(sliced) == repr(_whole(monkeypatch, text, "m.py"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_slicing_leaves_out_whole_lines_and_maps_the_rest_to_the_source(name: str) -> None:
    text = CASES[name]
    tree = ast.parse(text)
    sliced, line_of = pyslice.slice_module(text, tree, Survey(tree))
    assert line_of is not None, "each case has a statement nothing needs"
    source, kept = re.split(r"\r\n?|\n", text), re.split(r"\r\n?|\n", sliced)
    assert len(kept) == len(line_of) <= len(source)
    assert kept != source
    assert line_of == sorted(set(line_of))
    # each line left is the source's line it maps to, or the `pass` of a block left empty
    assert all(got == source[line - 1] or got.strip() == "pass" for got, line in zip(kept, line_of, strict=True))
    # the updated tree is the sliced text's: same nodes, and the same starts once lines are mapped back
    reparsed = ast.parse(sliced)
    assert ast.dump(reparsed) == ast.dump(tree)
    starts = [(type(n).__name__, line_of[n.lineno - 1], n.col_offset) for n in ast.walk(reparsed)
              if hasattr(n, "lineno")]
    assert starts == [(type(n).__name__, n.lineno, n.col_offset) for n in ast.walk(tree) if hasattr(n, "lineno")]


@pytest.mark.slow
def test_real_sources_give_the_same_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    files = [*sorted((ROOT / "tests" / "golden").rglob("*.py")), *sorted((ROOT / "vlint").rglob("*.py")),
             *sorted((ROOT / "tests").glob("test_*.py"))]
    blanked = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        blanked += pyslice.slice_module(text, tree, Survey(tree)).line_of is not None
        assert repr(extract_python(text, str(path))) == repr(_whole(monkeypatch, text, str(path))), path
    assert blanked > 5


def test_what_is_left_out_and_what_is_kept() -> None:
    text = '''
import os
import numpy as np
from typing import Optional
from openai import OpenAI as Client

TABLE = {"a": np.zeros(3)}
DEFAULT = "Qwen/Qwen2.5-14B"

@pytest.mark.slow
def ask(model: Optional[str] = os.environ.get("MODEL", DEFAULT), retries: int = 3):
    """Ask once."""
    log = []
    for attempt in range(retries):
        log.append(attempt)
    temperature = 0.1
    return Client().chat.completions.create(model=model, temperature=temperature, messages=[])
'''
    tree = ast.parse(text)
    sliced = pyslice.slice_module(text, tree, Survey(tree)).text
    kept = {line.strip() for line in sliced.splitlines() if line.strip()}
    assert kept == {
        "import os", "from openai import OpenAI as Client", 'DEFAULT = "Qwen/Qwen2.5-14B"',
        "from typing import Optional",  # names are read by line: it shares the default's line
        'def ask(model: Optional[str] = os.environ.get("MODEL", DEFAULT), retries: int = 3):',
        "temperature = 0.1",
        "return Client().chat.completions.create(model=model, temperature=temperature, messages=[])",
    }
    request = extract_python(text, "m.py").requests[0]
    assert (request.model.literal, request.temperature.literal) == ("Qwen/Qwen2.5-14B", 0.1)
    assert (request.location.line, request.temperature.location.line) == (17, 16)


def test_engine_argument_makers_only_a_table_holds_are_left_out() -> None:
    """A maker taken from a table (`MAKERS[kind](...)`) cannot be followed: the maker only the table holds
    (`run_alpha`) is a stub, the one called by name keeps its body (the facts are the whole module's: the
    cases above)."""
    text = CASES["engine argument makers in a table and one called by name"]
    tree = ast.parse(text)
    sliced = pyslice.slice_module(text, tree, Survey(tree)).text
    assert 'EngineArgs(model="org/alpha-7b"' not in sliced and 'EngineArgs(model="org/beta-2b")' in sliced
    assert [r.location.line for r in extract_python(text, "m.py").requests] == [16, 18]


def test_positions_without_anchors_are_mapped_back_to_the_source() -> None:
    """Where CPython's statements cannot anchor libcst's, positions come from libcst's own provider over
    the sliced text, mapped back to the source's lines: the same as the anchored ones."""
    from vlint.extract.python.cstparse import parse as parse_module
    from vlint.extract.python.positions import Positions
    from vlint.extract.python.walk import Walk

    text = CASES["statements a kept call reads, through chains, branches and blocks"]
    tree = ast.parse(text)
    sliced, line_of = pyslice.slice_module(text, tree, Survey(tree))
    assert line_of is not None and len(line_of) < text.count("\n")
    module = parse_module(sliced)
    walk = Walk(object())
    walk.run(module)
    anchored = Positions(module, text, walk, tree, line_of)
    provided = Positions(module, text, walk, None, line_of)
    assert anchored.anchors is not None and provided.anchors is None
    nodes = [node for node in walk.statements] + [call for _, call in walk.calls]
    assert [provided.start(n) for n in nodes] == [anchored.start(n) for n in nodes]
    assert provided.start(walk.calls[-1][1]).line == 41  # the create call, on its source line
