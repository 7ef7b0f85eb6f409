"""Python files that do not parse whole (issue 17, item 6): notebook exports that keep IPython syntax, and
files with one broken statement. What parses is still read, at its true lines, next to the error entry;
the CPython gate still refuses what it refused."""

from __future__ import annotations

import time

from tests.conftest import rule_lines, scan_dir
from vlint.extract.python import extract_python
from vlint.extract.python.guard import Refusal, parse_with_cpython
from vlint.extract.python.recover import recover

# What Colab's "Download .py" and `jupyter nbconvert --to script` leave when a notebook has shell escapes
# and magics in its cells (nbconvert writes `get_ipython()` calls, which parse; hand edits and Colab keep
# the raw lines).
NOTEBOOK_EXPORT = """\
#!/usr/bin/env python
# coding: utf-8

# In[1]:


get_ipython().system('nvidia-smi')
!pip install -q vllm==0.6.3 openai
%load_ext autoreload
%autoreload 2


# In[2]:


%%capture
import openai
client = openai.OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")


# In[3]:


%%bash
nohup vllm serve Qwen/Qwen2.5-1.5B --port 8000 > server.log 2>&1 &
sleep 60


# In[4]:


%time warm = client.chat.completions.create(model="Qwen/Qwen2.5-1.5B", messages=[{"role": "user", "content": "hi"}])
answer = client.chat.completions.create(
    model="Qwen/Qwen2.5-1.5B",
    messages=[{"role": "user", "content": "What is the capital of France?"}],
    temperature=0.0,
)
print(answer.choices[0].message.content)
"""


def test_a_notebook_export_reads_like_the_notebook():
    """Magics are neutralised line for line, the `%%bash` cell is read as shell (its launch found at its own
    line), and the file is no error: it is what notebooks export."""
    facts = extract_python(NOTEBOOK_EXPORT, "notebook_export.py")
    assert facts.errors == []
    # `%time stmt` runs its statement: read at its own columns, past the magic.
    assert [(r.location.line, r.location.column, r.api, r.model.literal,
             r.temperature.literal if r.temperature else None) for r in facts.requests] == [
        (32, 14, "chat", "Qwen/Qwen2.5-1.5B", None), (33, 10, "chat", "Qwen/Qwen2.5-1.5B", 0.0)]
    assert [(s.location.line, s.model.literal) for s in facts.serves] == [(25, "Qwen/Qwen2.5-1.5B")]


def test_timing_magics_keep_their_statement_and_other_magics_do_not():
    """`%time`/`%timeit`/`%prun` run the rest of the line (after their options) as Python; `%env`, `%matplotlib`
    and an assigned `x = %time ...` do not give a statement to read."""
    text = (
        "!pip install openai\n"
        "from openai import OpenAI\n"
        "client = OpenAI()\n"
        "%timeit -n 3 -r 1 -q client.completions.create(model='Qwen/Qwen2.5-7B', prompt='a', temperature=0)\n"
        "%prun -s cumulative client.chat.completions.create(model='Qwen/Qwen2.5-7B', messages=[])\n"
        "%env OPENAI_API_KEY=x\n"
        "%matplotlib inline\n"
        "t = %time client.chat.completions.create(model='meta-llama/Llama-2-7b-hf', messages=[])\n"
        "%time\n"
    )
    facts = extract_python(text, "timing.py")
    assert facts.errors == []
    assert [(r.location.line, r.location.column, r.api, r.model.literal) for r in facts.requests] == [
        (4, 22, "completion", "Qwen/Qwen2.5-7B"), (5, 21, "chat", "Qwen/Qwen2.5-7B")]


def test_a_file_read_in_part_is_fixed_in_place(project, monkeypatch, capsys):
    """`vlint scan --fix` on what was read of a notebook export and of a file with a broken statement (libcst
    parses neither): the literal is swapped where the finding points, and every other byte stays."""
    from vlint.cli import main

    export = ("!pip install openai\nfrom openai import OpenAI\nclient = OpenAI()\n"
              "%time r = client.chat.completions.create(model='meta-llama/Llama-2-7b-hf', messages=[])\n")
    broken = ("from openai import OpenAI\n"
              "OpenAI().chat.completions.create(model='meta-llama/Llama-2-13b-hf', messages=[])\n"
              "def half(:\n    pass\n")
    root = project({"export.py": export, "client.py": broken})
    monkeypatch.chdir(root)
    assert main(["scan", "--no-cache", "--fix", "--format", "concise"]) == 0  # an error entry alone fails nothing
    out = capsys.readouterr()
    assert "client.py:3: error: Python syntax error" in out.out and "Fixed 2 findings" in out.out + out.err
    assert (root / "export.py").read_text() == export.replace("Llama-2-7b-hf", "Llama-2-7b-chat-hf")
    assert (root / "client.py").read_text() == broken.replace("Llama-2-13b-hf", "Llama-2-13b-chat-hf")


def test_percent_format_cells_and_an_assigned_shell_escape():
    text = (
        "# %%\n"
        "files = !ls data\n"
        "from openai import OpenAI\n"
        "client = OpenAI()\n"
        "# %%\n"
        "%%time\n"
        'client.chat.completions.create(model="meta-llama/Llama-3.1-8B", messages=[], temperature=0.1)\n'
    )
    facts = extract_python(text, "analysis.py")
    assert facts.errors == []
    assert [(r.location.line, r.location.column) for r in facts.requests] == [(7, 1)]


def test_ipython_syntax_is_left_alone_when_the_file_parses():
    text = 'from openai import OpenAI\nPROMPT = """\n!important: answer briefly\n"""\n' \
           'OpenAI().chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[{"role": "user", "content": PROMPT}])\n'
    (request,) = extract_python(text, "p.py").requests
    assert request.messages == (("user", "\n!important: answer briefly\n"),)


BROKEN_CLIENT = """\
import os

from openai import OpenAI

client = OpenAI(base_url=os.environ.get("OPENAI_BASE_URL", "http://localhost:8000/v1"))
MODEL = os.environ.get("MODEL", "meta-llama/Llama-3.1-8B")


def summarize(text):
    print "summarizing", len(text)
    response = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Summarize:\\n" + text}],
        temperature=0.2,
    )
    return response.choices[0].message.content


def complete(text):
    return client.completions.create(model=MODEL, prompt=text, temperature=0.0)


<<<<<<< HEAD
RETRIES = 3
=======
RETRIES = 5
>>>>>>> feature/retries

if __name__ == "__main__":
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "ping"}])
"""


def test_one_broken_statement_loses_only_itself():
    """Python 2's `print` inside a function, merge-conflict markers at the top level: the statements around
    them are read at their true lines, and the error entry says what was left out."""
    facts = extract_python(BROKEN_CLIENT, "summarize.py")
    assert [(r.location.line, r.location.column, r.api) for r in facts.requests] == [
        (11, 16, "chat"), (20, 12, "completion"), (30, 5, "chat")]
    assert all(r.model.literal == "meta-llama/Llama-3.1-8B" and r.model.location.line == 6 for r in facts.requests)
    (error,) = facts.errors
    assert error.line == 10 and error.reason.startswith("Python syntax error: Missing parentheses in call to 'print'")
    assert error.reason.endswith("the rest of the file was read without lines 10, 23, 25, 27")


def test_a_statement_that_never_closes_is_left_out_with_what_follows_it_at_the_top_level():
    text = ('from openai import OpenAI\nclient = OpenAI()\n'
            'client.chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n'
            'config = {"retries": 3,\n'
            'def later():\n    return 1\n')
    facts = extract_python(text, "cut.py")
    assert [r.location.line for r in facts.requests] == [3]
    (error,) = facts.errors
    assert error.line == 4 and "'{' was never closed" in error.reason


def test_a_broken_file_found_end_to_end_with_its_error(project):
    root = project({"summarize.py": BROKEN_CLIENT})
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "summarize.py", 11), ("VL001", "summarize.py", 30),
                                  ("VL002", "summarize.py", 11), ("VL002", "summarize.py", 20)]
    assert [(e.path, e.line) for e in result.errors] == [("summarize.py", 10)]


def test_recovery_is_bounded_on_a_file_broken_everywhere():
    """A file with a broken statement on every line is given up after a few attempts (the first error is
    reported alone, nothing is read), in a bounded time."""
    text = "".join(f"x{i} = (\n" if i % 2 else f"def f{i}(:\n" for i in range(5_000))
    refusal = parse_with_cpython(text)
    assert isinstance(refusal, Refusal)
    start = time.monotonic()
    assert recover(text, refusal) is None
    assert time.monotonic() - start < 5
    facts = extract_python("from openai import OpenAI\nclient = OpenAI()\n" + text, "hostile.py")
    assert facts.requests == [] and len(facts.errors) == 1 and "the rest of the file" not in facts.errors[0].reason


def test_the_gate_still_refuses_nesting_in_what_is_recovered():
    """A broken statement next to nesting libcst would not survive: the recovered text goes through the same
    gate, so the nesting is refused as before, in an error entry of its own."""
    deep = "x = " + " and ".join(["a"] * 10_000) + "\n"
    text = "from openai import OpenAI\nclient = OpenAI()\ndef broken(:\n    pass\n" + deep \
        + "client.chat.completions.create(model=x, messages=[])\n"
    facts = extract_python(text, "deep.py")
    assert facts.requests == []
    broken, refused = facts.errors
    assert broken.line == 3 and broken.reason.endswith("the rest of the file was read without lines 3-4")
    assert "nested too deeply for libcst" in refused.reason and refused.line == 5


def test_a_notebook_cell_reads_a_timed_statement_at_its_own_columns(project):
    """The notebook reader neutralises cells the same way (`embed.ipython_cell`)."""
    import json

    cell = "%time out = client.chat.completions.create(model='meta-llama/Llama-2-7b-hf', messages=[])"
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
         "source": ["from openai import OpenAI\n", "client = OpenAI()\n"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 2, "source": [cell]}]}
    result = scan_dir(project({"try.ipynb": json.dumps(notebook, indent=1)}))
    (finding,) = result.findings
    assert finding.rule == "VL001" and finding.path == "try.ipynb"


def test_a_notebook_export_without_trigger_words_is_no_error_either(project):
    """The word check drops a file with nothing to lint but still lists its syntax error; IPython lines are
    no error there either, while a real error next to them still is."""
    export = "# In[1]:\n!pip install pandas\n%matplotlib inline\nimport pandas as pd\ndf = pd.read_csv('x.csv')\n"
    root = project({"explore.py": export, "broken.py": export + "def plot(:\n    pass\n"})
    result = scan_dir(root)
    assert [(e.path, e.line) for e in result.errors] == [("broken.py", 6)]
