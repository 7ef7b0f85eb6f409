"""What vlint's speed must never cost: no finding lost to the prefilter, the cache or the process pool, and
no heavy import a run does not need. No timings here (bench/run.py measures); these are the invariants
that make the timings honest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from vlint.api import scan
from vlint.config import Config

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from synth import generate  # noqa: E402  (bench/ is not a package)

HEAVY = ("libcst", "yaml", "tree_sitter", "tree_sitter_bash", "huggingface_hub", "vllm")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("synthetic") / "mono"
    manifest = generate(root, 420)  # every planted group at least once, and every kind of filler
    return root, manifest


def _scan(root: Path, **overrides):
    return scan([root], Config(**{"cache": False, **overrides}), cwd=root)


def _shape(result) -> list[tuple]:
    return [(f.rule, f.path, f.line, f.column, f.model, f.message) for f in result.findings] + \
        [("error", e.path, e.line, e.reason) for e in result.errors]


# ---- the prefilter loses nothing --------------------------------------------------------------------------

def test_planted_findings_are_found_exactly(synthetic) -> None:
    root, manifest = synthetic
    result = _scan(root)
    assert dict(Counter(f.rule for f in result.findings)) == manifest["expected_findings"]
    assert result.errors == []


def test_prefilter_skips_only_files_that_hold_nothing(synthetic) -> None:
    """Every synthetic Python file, near misses included: the facts with the prefilter equal those without."""
    from vlint.extract.python.pipeline import extract_python
    from vlint.extract.python.prefilter import might_hold_facts
    from vlint.facts import FileFacts

    root, _ = synthetic
    texts = {p: p.read_text() for p in sorted(root.rglob("*.py"))}
    dropped = [p for p, t in texts.items() if not might_hold_facts(t)]
    assert 0 < len(texts) / 2 < len(dropped) < len(texts)  # the filter does filter
    # Every near miss, and a sample of the plain modules (one template, many seeds).
    plain = [p for p in dropped if p.name == "core.py"]
    checked = [p for p in dropped if p.name != "core.py"] + plain[:25]
    for path in checked:
        assert extract_python(texts[path], str(path), prefiltered=False) == FileFacts(str(path), "python"), path


def _catalogue_snippets() -> list[str]:
    """One call per entry of rules/clients.yaml and per launch path, directly and through an import alias."""
    from vlint.knowledge import load_data

    data = load_data("clients.yaml")
    out = []
    for entry in data["calls"]:
        args = 'model="m", messages=[{"role": "user", "content": "x"}], prompt="p"'
        if "suffix" in entry:
            out.append(f"client.{entry['suffix']}({args})\n")
            out.append(f"c = client\nc.with_raw_response.{entry['suffix']}({args})\n")
            continue
        qual = entry["qualname"].replace("*", "x")
        module, _, name = qual.rpartition(".")
        if module:
            out.append(f"from {module} import {name} as Alias\nAlias({args})\n")
            out.append(f"from {module} import (\n    {name}  # the client\n    as Alias,\n)\nAlias({args})\n")
            out.append(f"import {module} as mod\nmod.{name}({args})\n")
        else:
            out.append(f"{name}({args})\n")
    for engine in data["offline"]["engine"]:
        module, _, name = engine.rpartition(".")
        for method in data["offline"]["methods"]:
            head = f"from {module} import {name} as Engine\n" if module else ""
            ctor = "Engine" if module else name
            out.append(f"{head}llm = {ctor}(model='m')\nllm.{method}(['p'], SamplingParams(temperature=0))\n")
    for route in data["http"]["routes"]:
        out.append(f"import requests\nURL = 'http://h:8000' + '{route}'\nrequests.post(URL, json={{'model': 'm'}})\n")
    for module in data["launch"]["modules"]:
        out.append(f"import {module}\n{module}.run(['vllm', 'serve', 'Qwen/Qwen2.5-7B'])\n")
    for function in data["launch"]["functions"]:
        module, _, name = function.rpartition(".")
        out.append(f"from {module} import {name} as run\nrun('vllm serve Qwen/Qwen2.5-7B')\n")
    out += [
        "import subprocess\nsubprocess.run(['vllm', 'serve', 'Qwen/Qwen2.5-7B'])\n",
        "import subprocess as sp\nsp.Popen('curl localhost:8000/v1/completions -d @x', shell=True)\n",
        "from os import system\nsystem('vllm serve Qwen/Qwen2.5-7B')\n",
        "import os\nos.popen('docker run vllm/vllm-openai --model Qwen/Qwen2.5-7B')\n",
        "import subprocess\nsubprocess.run('export MODEL=Qwen/Qwen2.5-7B', shell=True)\n",  # an env binding
    ]
    return out


@pytest.mark.parametrize("snippet", _catalogue_snippets())
def test_every_catalogue_entry_passes_the_prefilter(snippet: str) -> None:
    import vlint.extract as registry
    from vlint.extract.python.pipeline import extract_python
    from vlint.extract.python.prefilter import might_hold_facts

    facts = extract_python(snippet, "x.py", prefiltered=False)
    assert facts.requests or facts.serves or facts.env, "the snippet must exercise a fact path"
    assert registry.passes_word_check("python", snippet)
    assert might_hold_facts(snippet)


def test_identifier_boundaries_and_alternatives() -> None:
    from vlint.extract.python.prefilter import parse_clause

    (llm,) = parse_clause(r"\bLLM\b")
    assert llm.found_in("from vllm import LLM") and llm.found_in("vllm.LLM(")
    assert not llm.found_in("AsyncLLM(x)") and not llm.found_in("LLMEngine") and not llm.found_in("ÄLLM")
    (either,) = parse_clause("create|parse")
    assert either.found_in("x.parse(") and not either.found_in("x.stream(")
    (alias,) = parse_clause(r"\bLLM as")
    assert alias.found_in("from vllm import (\n    LLM  # the engine\n    as Engine)") and alias.found_in("LLM  as E")
    assert not alias.found_in("LLM asked") and not alias.found_in("VLLM as E")


@pytest.mark.parametrize("source", [
    "from vllm import LLM\nclass Runner:\n    def __init__(self):\n        self.engine = LLM('m')\n"
    "    def run(self):\n        return self.engine.generate(['p'])\n",
    "import vllm\nwith vllm.LLM(model='m') as llm:\n    llm.chat([])\n",
    "from vllm import LLM\ndef run(llm=LLM('m')):\n    return llm.generate(['p'])\n",
    "from vllm import LLM\nengine = LLM('m')\nalias = engine\nfirst, second = alias, 1\nfirst.generate(['p'])\n",
    "from vllm import LLM\nLLM('m').chat([])\n",
])
def test_engine_calls_through_names_attributes_and_defaults_pass(source: str) -> None:
    from vlint.extract.python.pipeline import extract_python
    from vlint.extract.python.prefilter import might_hold_facts

    assert extract_python(source, "x.py", prefiltered=False).requests
    assert might_hold_facts(source)


@pytest.mark.parametrize("source", [
    "from vllm import LLM\nfrom transformers import AutoModel\nmodel = AutoModel.from_pretrained('m')\n"
    "model.generate(ids)\n",  # an engine import, but the receiver is something else
    "import requests\nrequests.post('https://example.com/api/orders', json={'id': 1})\n",  # no route string
    "import requests\nURL = 'http://h/v1/completions'\nrequests.post(URL)\n",  # no body
])
def test_calls_that_cannot_yield_a_fact_are_not_parsed(source: str) -> None:
    from vlint.extract.python.pipeline import extract_python
    from vlint.extract.python.prefilter import might_hold_facts
    from vlint.facts import FileFacts

    assert not might_hold_facts(source)
    assert extract_python(source, "x.py", prefiltered=False) == FileFacts("x.py", "python")


def test_python_cpython_cannot_parse_is_reported_not_handed_to_libcst() -> None:
    from vlint.extract.python.pipeline import extract_python
    from vlint.extract.python.prefilter import might_hold_facts

    broken = "from openai import OpenAI\nclient = OpenAI()\ndef broken(:\n"
    assert might_hold_facts(broken)
    (error,) = extract_python(broken, "x.py").errors
    assert (error.line, error.reason) == (3, "Python syntax error: invalid syntax; the rest of the file was read "
                                             "without lines 3")  # the statements that parse are still read
    assert not might_hold_facts("from openai import OpenAI\nclient = OpenAI()\n")


# ---- cache and pool change nothing ------------------------------------------------------------------------

def _stored_facts(cache: Path) -> int:
    import sqlite3

    (db,) = cache.glob("projects/*/cache.sqlite3")
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0]


@pytest.mark.slow
def test_cold_warm_and_no_cache_agree(synthetic, tmp_path, monkeypatch) -> None:
    root, _ = synthetic
    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "cache"))
    reference = _shape(_scan(root))
    cold = _shape(_scan(root, cache=True))
    assert _stored_facts(tmp_path / "cache") > 10
    warm = _shape(_scan(root, cache=True))
    assert reference == cold == warm


@pytest.mark.slow
def test_one_process_workers_and_a_pool_agree_in_order(synthetic) -> None:
    from vlint.discover import discover
    from vlint.extract.runner import extract_all

    root, _ = synthetic
    assert _shape(_scan(root, jobs=1)) == _shape(_scan(root, jobs=2))
    sources = discover([root], cwd=root)
    expected = [s.display for s in sources]
    config = Config(cache=False, jobs=2)
    pooled = list(extract_all(sources, config))
    in_process = list(extract_all(sources, config, isolate=False))
    assert [facts.path for facts, _ in pooled] == expected
    assert pooled == in_process


@pytest.mark.slow
def test_a_pool_with_the_cache_cold_then_warm_agrees(synthetic, tmp_path, monkeypatch, file_reads) -> None:
    """Pool workers read, check, hash and extract whole chunks of files; the parent stores what they made
    and keeps the manifest: a warm pooled run must read no file and say exactly what a serial run without
    cache says."""
    root, _ = synthetic
    past = time.time() - 60  # older than the manifest's two-second "racy" window
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    time.sleep(2.1)  # and their status-change times too
    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "cache"))
    reference = _shape(_scan(root, jobs=1))
    cold = _shape(_scan(root, cache=True, jobs=2))
    entries = _stored_facts(tmp_path / "cache")
    assert entries > 10
    file_reads.clear()
    warm = _shape(_scan(root, cache=True, jobs=2))
    assert file_reads() == []
    assert reference == cold == warm
    assert _stored_facts(tmp_path / "cache") == entries


def test_suppression_comments_survive_the_prefilter_and_the_cache(tmp_path, monkeypatch) -> None:
    """A file the prefilter skips still has its suppressions read: an unused one is reported (VL100)."""
    (tmp_path / "plain.py").write_text("x = 1  # vlint: ignore[VL001] nothing here\n")
    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "user-cache"))
    for cache in (False, True, True):
        result = scan([tmp_path], Config(cache=cache), cwd=tmp_path)
        assert [(f.rule, f.path) for f in result.findings] == [("VL100", "plain.py")]


def _cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vlint.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_concurrent_scans_sharing_a_cache_are_complete_and_identical(synthetic, tmp_path) -> None:
    root, manifest = synthetic
    env = {**os.environ, "VLINT_CACHE_DIR": str(tmp_path / "shared-cache")}
    reference = json.loads(_cli(["scan", ".", "--format", "json", "--no-cache"], root, env).communicate()[0])
    for _ in range(2):  # a cold race, then a race on a warm cache
        runs = [_cli(["scan", ".", "--format", "json", "--jobs", "2"], root, env) for _ in range(2)]
        outputs = [json.loads(run.communicate()[0]) for run in runs]
        assert outputs[0] == outputs[1] == reference
    assert len(reference["findings"]) == manifest["expected_total"]
    assert not list((tmp_path / "shared-cache").rglob(".tmp-*"))
    assert _stored_facts(tmp_path / "shared-cache") > 10


# ---- lazy imports ---------------------------------------------------------------------------------------

def _imported_by_scan(path: Path) -> set[str]:
    """Top-level modules a CLI scan of `path` imports, extraction included (run in-process here, so what
    the extractors import is seen; in a scan it happens in a worker)."""
    code = textwrap.dedent(f"""
        import functools, sys
        import vlint.api
        vlint.api.extract_all = functools.partial(vlint.api.extract_all, isolate=False)
        from vlint.cli import main
        main(["scan", {str(path)!r}, "--no-cache"])
        print(",".join(sorted({{m.split(".")[0] for m in sys.modules}})))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=path.parent,
                         check=True).stdout
    return set(out.strip().splitlines()[-1].split(","))


def test_a_file_without_triggers_imports_nothing_heavy(tmp_path) -> None:
    plain = tmp_path / "util.py"
    plain.write_text("def add(a, b):\n    return a + b  # temperature of the room: 0.1\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: eggs, milk\n")
    for path in (plain, notes):
        assert _imported_by_scan(path) & set(HEAVY) == set(), path


def test_a_python_client_does_not_import_shell_hub_or_vllm(tmp_path) -> None:
    client = tmp_path / "client.py"
    client.write_text('from openai import OpenAI\n'
                      'OpenAI().chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n')
    imported = _imported_by_scan(client)
    assert "libcst" in imported
    assert imported & {"tree_sitter", "tree_sitter_bash", "huggingface_hub", "vllm"} == set()


def test_a_shell_script_does_not_import_libcst(tmp_path) -> None:
    script = tmp_path / "serve.sh"
    script.write_text("vllm serve Qwen/Qwen2.5-7B --served-model-name q\n")
    imported = _imported_by_scan(script)
    assert "tree_sitter_bash" in imported
    assert imported & {"libcst", "huggingface_hub", "vllm"} == set()
