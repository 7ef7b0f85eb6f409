"""The Python front end as a whole (`vlint/extract/python/`): a call shape is one data edit, and a scan leaves
libcst as it found it."""

from __future__ import annotations

import threading
from pathlib import Path

import libcst as cst
import pytest
from libcst import CSTNode

from vlint.api import scan
from vlint.config import Config
from vlint.extract.python import catalogue as catalogue_module
from vlint.extract.python import prefilter
from vlint.extract.python.pipeline import extract_python
from vlint.knowledge import load_data


@pytest.fixture
def catalogue_with(monkeypatch):
    """Run with extra entries in the data rules/clients.yaml would give (and nothing else changed)."""
    caches = (catalogue_module.catalogue, catalogue_module.spec_for_qualname, prefilter._parsed_clauses)

    def extend(calls: list[dict], launch_functions: list[str]) -> None:
        data = dict(load_data("clients.yaml"))
        data["calls"] = [*data["calls"], *calls]
        data["launch"] = {**data["launch"], "functions": [*data["launch"]["functions"], *launch_functions]}
        monkeypatch.setattr(catalogue_module, "load_data", lambda name: data)
        for cached in caches:
            cached.cache_clear()

    yield extend
    monkeypatch.undo()
    for cached in caches:
        cached.cache_clear()


NEW_CLIENT = '''
import os
from acme_llm import Chatter as C

MODEL = os.environ.get("MODEL", "Qwen/Qwen2.5-7B")

def unrelated():
    return sum(range(10))

def ask(question):
    return C().talk.now(model=MODEL, temperature=0.1, messages=[{"role": "user", "content": question}])

def launch():
    import sh
    sh.run_this("vllm serve Qwen/Qwen2.5-7B")
'''


def test_a_new_call_shape_is_one_data_edit(catalogue_with) -> None:
    """A suffix entry and a launch function added to the catalogue's data: the prefilter's words, the survey,
    the slicer and the visitor all follow, with no code changed."""
    assert not prefilter.might_hold_facts(NEW_CLIENT)
    catalogue_with([{"suffix": "talk.now", "api": "chat", "client": "acme talk", "model": ["model"],
                     "temperature": ["temperature"], "messages": "messages", "default_temperature": 1.0}],
                   ["sh.run_this"])
    assert prefilter.words_match(NEW_CLIENT) and prefilter.might_hold_facts(NEW_CLIENT)
    facts = extract_python(NEW_CLIENT, "client.py")
    (request,) = facts.requests
    assert (request.client, request.api, request.model.literal, request.temperature.literal) == \
        ("acme talk", "chat", "Qwen/Qwen2.5-7B", 0.1)
    assert request.location.line == 11 and request.model.location.line == 5  # the slicer kept the default
    assert [s.model.literal for s in facts.serves] == ["Qwen/Qwen2.5-7B"]


def test_the_word_clauses_are_derived_from_every_entry() -> None:
    """Each catalogue entry's names are in some clause (so no entry can be dropped by the words)."""
    cat = catalogue_module.catalogue()
    text = " ".join(prefilter.clauses(cat))
    names = [s[-1] for s, _ in cat.by_suffix] + [p.rsplit(".", 1)[-1].lstrip("*") for p, _ in cat.by_qualname]
    names += [m for m in cat.engine_methods] + list(cat.http_methods) + list(cat.launch_modules)
    assert [name for name in names if name not in text] == []


# ---- a library that leaves its host alone -------------------------------------------------------------

def _validation_hooks() -> dict[type, object]:
    hooks, todo = {}, [CSTNode]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "__post_init__" in cls.__dict__:
            hooks[cls] = cls.__dict__["__post_init__"]
    return hooks


def _project(root: Path) -> Path:
    for i in range(12):
        (root / f"client{i}.py").write_text(
            "from openai import OpenAI\n\ndef helper():\n    return 1\n\n"
            "OpenAI().chat.completions.create(model='Qwen/Qwen2.5-7B', messages=[])\n")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_scan_leaves_libcst_as_it_was(tmp_path: Path, jobs: int) -> None:
    """Before, during (seen from another thread, as a host's thread would) and after a scan, libcst's node
    classes validate as they always do."""
    before = _validation_hooks()
    seen: list[bool] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.append(_validation_hooks() == before)
            try:
                cst.Name("not a name")
                seen.append(False)
            except cst.CSTValidationError:
                seen.append(True)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = scan([_project(tmp_path)], Config(cache=False, jobs=jobs), cwd=tmp_path)
    finally:
        stop.set()
        watcher.join()
    assert sorted(f.path for f in result.findings) == sorted(f"client{i}.py" for i in range(12))
    assert seen and all(seen)
    assert _validation_hooks() == before


def test_every_python_call_shape_reaches_the_docs_pre_check(tmp_path: Path) -> None:
    """A client call in a Markdown fence is found as in a .py file: the docs pre-check's words cover every
    clause derived from the catalogue (`dspy.LM` once fell through it: the old hand-kept word list lacked it)."""
    snippet = 'import dspy\nlm = dspy.LM("Qwen/Qwen2.5-7B")\n'
    (tmp_path / "a.py").write_text(snippet)
    (tmp_path / "guide.md").write_text(f"# Guide\n\n```python\n{snippet}```\n")
    result = scan([tmp_path], Config(cache=False), cwd=tmp_path)
    found = sorted((f.rule, f.path, f.line) for f in result.findings if f.rule == "VL001")
    assert found == [("VL001", "a.py", 2), ("VL001", "guide.md", 5)]
