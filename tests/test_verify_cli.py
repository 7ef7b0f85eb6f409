"""`--verify` at the command line, without vLLM: it fails fast, before scanning, with the install hint."""

from __future__ import annotations

import sys

import vlint.api
from vlint.cli import main


def test_verify_without_vllm_exits_2_before_scanning(project, monkeypatch, capsys):
    root = project({"c.py": 'from openai import OpenAI\nOpenAI().chat.completions.create(model="gpt2", messages=[])\n'})
    monkeypatch.chdir(root)
    monkeypatch.setenv("VLINT_VLLM_PYTHON", sys.executable)  # the test venv has no vllm

    def no_scan(*args, **kwargs):
        raise AssertionError("the scan ran before vLLM was checked")

    monkeypatch.setattr(vlint.api, "scan", no_scan)
    assert main(["--verify", ".", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'vllm>=0.8'" in err and len(err.strip().splitlines()) == 1


def test_static_scan_never_imports_vllm_or_torch(project, monkeypatch, capsys):
    root = project({"c.py": 'from openai import OpenAI\nOpenAI().chat.completions.create(model="gpt2", messages=[])\n'})
    monkeypatch.chdir(root)
    assert main(["scan", ".", "--no-cache"]) == 1
    assert "vllm" not in sys.modules and "torch" not in sys.modules
