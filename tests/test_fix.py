"""`--diff` and `--fix`: a base model swapped for its curated chat sibling where it is named, every place
of it or none, through the real CLI on real files; the edits are checked byte for byte and by a rescan."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO, scan_dir
from tests.test_hub import FakeHub, fake_hub, isolated_env  # noqa: F401 - pytest fixtures
from vlint.classify import CHAT_KINDS, classify_name
from vlint.cli import main
from vlint.fix import build_patches, write_patches
from vlint.fix.siblings import SAFE_ID, curated

SCHEMA = REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json"
GOLDEN = REPO / "tests" / "golden"

# The scenario: a base model in a Python literal (also launched by a shell script), and another in a
# k8s manifest, served under an alias that a second client uses.
DONE_WHEN = {
    "app/client.py": """\
        from openai import OpenAI

        client = OpenAI(base_url="http://localhost:8001/v1")
        reply = client.chat.completions.create(
            model="Qwen/Qwen2.5-14B",
            messages=[{"role": "user", "content": "Summarise the ticket."}],
            temperature=0.2,
        )
        """,
    "app/bot.py": """\
        from openai import OpenAI

        bot = OpenAI(base_url="http://assistant:8000/v1")
        bot.chat.completions.create(model="assistant", messages=[{"role": "user", "content": "hello"}])
        """,
    "deploy/vllm.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: assistant
        spec:
          template:
            spec:
              containers:
                - name: vllm
                  image: vllm/vllm-openai:v0.10.1
                  args: ["--model", "meta-llama/Llama-3.1-8B", "--served-model-name", "assistant"]
        """,
    "scripts/serve.sh": """\
        #!/usr/bin/env bash
        set -euo pipefail
        vllm serve Qwen/Qwen2.5-14B --port 8001 --max-model-len 8192
        """,
}


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def changed_lines(before: dict[str, bytes], after: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """(path, old line, new line) for every line that differs; files must keep their line count."""
    out = []
    for path in sorted(before):
        old, new = before[path].decode().splitlines(), after[path].decode().splitlines()
        assert len(old) == len(new), path
        out.extend((path, a, b) for a, b in zip(old, new, strict=True) if a != b)
    return out


def cli(root: Path, monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(root)
    code = main(["scan", ".", "--no-cache", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def rules_found(root: Path) -> set[tuple[str, str]]:
    return {(f.rule, f.path) for f in scan_dir(root).findings}


# ---- the "Done when" ----------------------------------------------------------------------------

def test_diff_shows_three_lines_fix_changes_exactly_those_and_a_rescan_is_clean(project, monkeypatch, capsys):
    root = project(DONE_WHEN)
    assert rules_found(root) >= {("VL001", "app/client.py"), ("VL002", "app/client.py"), ("VL001", "app/bot.py")}
    before = snapshot(root)

    code, diff, err = cli(root, monkeypatch, capsys, "--diff")
    assert code == 1 and snapshot(root) == before  # --diff writes nothing
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert len(removed) == len(added) == 3
    assert "Would fix 3 findings with 3 edits in 3 files." in err

    code, out, err = cli(root, monkeypatch, capsys, "--fix")
    after = snapshot(root)
    changes = changed_lines(before, after)
    assert [(a, b) for _, a, b in changes] == list(zip(removed, added, strict=True))  # exactly the lines the diff showed
    assert [(path, b) for path, _, b in changes] == [
        ("app/client.py", '    model="Qwen/Qwen2.5-14B-Instruct",'),
        ("deploy/vllm.yaml", '          args: ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--served-model-name", '
                             '"assistant"]'),
        ("scripts/serve.sh", "vllm serve Qwen/Qwen2.5-14B-Instruct --port 8001 --max-model-len 8192"),
    ]
    assert after["app/bot.py"] == before["app/bot.py"]  # the alias's client stays; its launch changed
    assert "Fixed 3 findings with 3 edits in 3 files." in err
    assert code == 0 and "VL001" not in out and "VL002" not in out
    assert not {rule for rule, _ in rules_found(root)} & {"VL001", "VL002"}

    # Idempotent: nothing left to fix, nothing written, an empty diff.
    code, _, _ = cli(root, monkeypatch, capsys, "--fix")
    assert code == 0 and snapshot(root) == after
    code, diff, _ = cli(root, monkeypatch, capsys, "--diff")
    assert code == 0 and diff == ""


def test_json_and_sarif_carry_the_fixes_that_fix_applies(project, monkeypatch, capsys, tmp_path):
    root = project(DONE_WHEN)
    _, out, _ = cli(root, monkeypatch, capsys, "--format", "json")
    findings = json.loads(out)["findings"]
    edits = {(e["path"], e["line"], e["column"], e["deleted"], e["inserted"])
             for f in findings for fix in f["fixes"] for e in fix["edits"]}
    assert edits == {
        ("app/client.py", 5, 12, "Qwen/Qwen2.5-14B", "Qwen/Qwen2.5-14B-Instruct"),
        ("deploy/vllm.yaml", 11, 30, "meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct"),
        ("scripts/serve.sh", 3, 12, "Qwen/Qwen2.5-14B", "Qwen/Qwen2.5-14B-Instruct"),
    }
    assert all(fix["applicable"] and fix["source"].startswith("rules/siblings.yaml") for f in findings
               for fix in f["fixes"])

    _, out, _ = cli(root, monkeypatch, capsys, "--format", "sarif")
    sarif = json.loads(out)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    # Applying SARIF's replacements by hand gives what --fix writes.
    by_file: dict[str, dict[tuple, str]] = {}
    for result in sarif["runs"][0]["results"]:
        for fix in result.get("fixes", []):
            for change in fix["artifactChanges"]:
                for r in change["replacements"]:
                    region = r["deletedRegion"]
                    key = (region["startLine"], region["startColumn"], region["endColumn"])
                    by_file.setdefault(change["artifactLocation"]["uri"], {})[key] = r["insertedContent"]["text"]
    expected = {}
    for uri, replacements in by_file.items():
        lines = (root / uri).read_text().splitlines(keepends=True)
        for (line, start, end), text in sorted(replacements.items(), reverse=True):
            lines[line - 1] = lines[line - 1][:start - 1] + text + lines[line - 1][end - 1:]
        expected[uri] = "".join(lines).encode()
    cli(root, monkeypatch, capsys, "--fix")
    assert {uri: (root / uri).read_bytes() for uri in expected} == expected


# ---- everywhere or nowhere ----------------------------------------------------------------------------

LAUNCH = "vllm serve Qwen/Qwen2.5-7B --served-model-name shared\n"
ALIAS_CLIENT = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="shared", messages=[]){comment}\n'


def test_a_suppressed_use_of_the_same_launch_means_nothing_changes(project, monkeypatch, capsys):
    root = project({
        "serve.sh": LAUNCH,
        "a.py": ALIAS_CLIENT.format(comment=""),
        "b.py": ALIAS_CLIENT.format(comment="  # vlint: ignore[VL001] we chat with the base model on purpose"),
    })
    before = snapshot(root)
    code, _, err = cli(root, monkeypatch, capsys, "--fix", "--format", "concise")
    assert snapshot(root) == before and code == 1
    assert "a.py:2:1: VL001 not fixable:" in err and "is suppressed (we chat with the base model on purpose)" in err


def test_every_launch_of_an_alias_changes_with_its_clients(project, monkeypatch, capsys):
    root = project({
        "serve.sh": LAUNCH,
        "Dockerfile": 'FROM vllm/vllm-openai:latest\nCMD ["--model", "Qwen/Qwen2.5-7B", "--served-model-name", "shared"]\n',
        "a.py": ALIAS_CLIENT.format(comment=""),
        "b.py": ALIAS_CLIENT.format(comment=""),
    })
    before = snapshot(root)
    cli(root, monkeypatch, capsys, "--fix")
    changes = changed_lines(before, snapshot(root))
    assert [path for path, _, _ in changes] == ["Dockerfile", "serve.sh"]
    assert all("Qwen/Qwen2.5-7B-Instruct" in new for _, _, new in changes)


def test_a_constant_shared_by_two_calls_is_one_edit(project, monkeypatch, capsys):
    root = project({"client.py": """\
        from openai import OpenAI
        MODEL = "google/gemma-2-9b"
        c = OpenAI()
        c.chat.completions.create(model=MODEL, messages=[])
        c.chat.completions.create(model=MODEL, messages=[], temperature=0.1)
        """})
    before = snapshot(root)
    code, _, err = cli(root, monkeypatch, capsys, "--fix")
    assert changed_lines(before, snapshot(root)) == [
        ("client.py", 'MODEL = "google/gemma-2-9b"', 'MODEL = "google/gemma-2-9b-it"')]
    assert code == 0 and "Fixed 3 findings with 1 edit in 1 file." in err


@pytest.mark.parametrize("files, note", [
    ({".env": "MODEL=Qwen/Qwen2.5-7B\n", "serve.sh": "vllm serve $MODEL --served-model-name m\n",
      "c.py": ALIAS_CLIENT.replace("shared", "m").format(comment="")}, "comes from the environment ($MODEL)"),
    ({"c.py": 'import os\nfrom openai import OpenAI\n'
              'OpenAI().chat.completions.create(model=os.environ.get("M", "Qwen/Qwen2.5-7B"), messages=[])\n'},
     "comes from the environment ($M)"),
    ({"c.py": 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/" + "Qwen2.5-7B", messages=[])\n'},
     "not one plain string literal (concatenation"),
    ({"c.py": 'from openai import OpenAI\nORG = "Qwen"\n'
              'OpenAI().chat.completions.create(model=f"{ORG}/Qwen2.5-7B", messages=[])\n'},
     "not one plain string literal"),
    ({"serve.sh": 'M=Qwen/Qwen2.5-7B\nvllm serve "$M" --served-model-name m\n',
      "c.py": ALIAS_CLIENT.replace("shared", "m").format(comment="")}, "is not the name `Qwen/Qwen2.5-7B` itself"),
])
def test_environment_computed_and_templated_values_are_left_alone_with_a_note(project, monkeypatch, capsys,
                                                                                 files, note):
    root = project(files)
    before = snapshot(root)
    code, _, err = cli(root, monkeypatch, capsys, "--fix")
    assert snapshot(root) == before and code == 1
    assert note in err and "not fixable" in err


def test_no_known_sibling_is_no_fix(project, monkeypatch, capsys):
    root = project({"c.py": ALIAS_CLIENT.replace("shared", "gpt2").format(comment="")})
    code, out, err = cli(root, monkeypatch, capsys, "--fix", "--format", "concise")
    assert code == 1 and "no chat sibling of `gpt2` is known" in err and "[*]" not in out


# ---- the codemod keeps every other byte ---------------------------------------------------------------

def test_python_literals_change_through_the_codemod_and_nothing_else_does(tmp_path, monkeypatch, capsys):
    source = ("# -*- coding: utf-8 -*-\r\n"
              "from openai import OpenAI  # client\r\n"
              "\r\n"
              "def ask(c: OpenAI) -> None:\r\n"
              "\tc.chat.completions.create(model=r'Qwen/Qwen2.5-7B',   # the model, é\r\n"
              "\t\tmessages=[],temperature = 0.1)\r\n")
    (tmp_path / "c.py").write_bytes(b"\xef\xbb\xbf" + source.encode())
    code, _, _ = cli(tmp_path, monkeypatch, capsys, "--fix")
    expected = source.replace("r'Qwen/Qwen2.5-7B'", "r'Qwen/Qwen2.5-7B-Instruct'")
    assert (tmp_path / "c.py").read_bytes() == b"\xef\xbb\xbf" + expected.encode() and code == 0


def test_the_codemod_swaps_only_a_whole_plain_literal():
    from vlint.fix.pyliteral import swap_literals

    source = 'a = "Qwen/Qwen2.5-7B" "-Base"\nb = ("Qwen/Qwen2.5-7B")\nc = b"Qwen/Qwen2.5-7B"\n'
    targets = {(1, 6): ("Qwen/Qwen2.5-7B", "X"), (2, 7): ("Qwen/Qwen2.5-7B", "X"), (3, 7): ("Qwen/Qwen2.5-7B", "X")}
    after, edits = swap_literals(source, "m.py", targets)
    assert after == source.replace('b = ("Qwen/Qwen2.5-7B")', 'b = ("X")')
    assert [(e.line, e.column, e.end_column, e.old) for e in edits] == [(2, 6, 23, '"Qwen/Qwen2.5-7B"')]


def test_the_diff_escapes_what_it_quotes(project, monkeypatch, capsys):
    root = project({"serve.sh": "echo '\x1b[31mred\x1b[0m'\nvllm serve Qwen/Qwen2.5-7B --served-model-name m\n",
                    "c.py": ALIAS_CLIENT.replace("shared", "m").format(comment="")})
    _, diff, _ = cli(root, monkeypatch, capsys, "--diff")
    assert "\x1b" not in diff and " echo '\\x1b[31mred\\x1b[0m'" in diff


# ---- what is never edited -----------------------------------------------------------------------------

def test_files_reached_through_links_or_not_utf8_are_never_edited(tmp_path, monkeypatch, capsys):
    serve = "vllm serve Qwen/Qwen2.5-7B --served-model-name m\n"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "serve.sh").write_text(serve)
    root = tmp_path / "repo"
    (root / "vendor").mkdir(parents=True)
    (root / ".gitignore").write_text("vendor/\n")
    (root / "vendor" / "serve.sh").write_text(serve)  # walked only through the link below
    (root / "c.py").write_text(ALIAS_CLIENT.replace("shared", "m").format(comment=""))
    os.symlink(root / "vendor" / "serve.sh", root / "serve.sh")
    os.symlink(outside / "serve.sh", root / "elsewhere.sh")  # out of the project: not even read
    code, out, err = cli(root, monkeypatch, capsys, "--fix")
    assert (root / "vendor" / "serve.sh").read_text() == serve and (outside / "serve.sh").read_text() == serve
    assert "symbolic link" in err and code == 1
    assert "elsewhere.sh" in out and "outside the project" in out

    latin = tmp_path / "latin"
    latin.mkdir()
    (latin / "serve.sh").write_bytes(b"# caf\xe9\nvllm serve Qwen/Qwen2.5-7B --served-model-name m\n")
    (latin / "c.py").write_text(ALIAS_CLIENT.replace("shared", "m").format(comment=""))
    before = snapshot(latin)
    code, _, err = cli(latin, monkeypatch, capsys, "--fix")
    assert snapshot(latin) == before and "not UTF-8" in err


def test_a_file_changed_after_the_scan_is_not_patched(project):
    root = project(DONE_WHEN)
    result = scan_dir(root)
    (root / "scripts/serve.sh").write_text("vllm serve Qwen/Qwen2.5-14B-Base --port 8001\n")
    with pytest.raises(ValueError, match="scripts/serve.sh: the file changed since it was scanned"):
        build_patches({f.autofix for f in result.findings if f.autofix}, root)
    (root / "scripts/serve.sh").write_text(DONE_WHEN["scripts/serve.sh"].replace("        ", ""))
    client = root / "app/client.py"
    client.write_text(client.read_text().replace('model="Qwen/Qwen2.5-14B",', 'model="Qwen/Qwen2.5-14B" "-Base",'))
    with pytest.raises(ValueError, match="app/client.py: the file changed since it was scanned"):
        build_patches({f.autofix for f in result.findings if f.autofix}, root)


# ---- the sibling data ---------------------------------------------------------------------------------

def test_every_curated_pair_is_a_base_model_and_a_chat_model_the_classifier_agrees_on():
    pairs = curated()
    assert len(pairs) >= 100
    for base, sibling in pairs.items():
        verdict = classify_name(base)
        assert verdict.kind == "base", base
        assert classify_name(sibling.model).kind in CHAT_KINDS, sibling.model
        assert SAFE_ID.fullmatch(sibling.model), sibling.model
        assert verdict.sibling is None or verdict.sibling.lower() == sibling.model.lower(), (base, verdict.sibling)
    assert pairs["qwen/qwen2.5-14b"].model == "Qwen/Qwen2.5-14B-Instruct"
    assert pairs["meta-llama/llama-3.1-8b"].model == "meta-llama/Llama-3.1-8B-Instruct"
    assert pairs["mistralai/mistral-7b-v0.1"].model == "mistralai/Mistral-7B-Instruct-v0.1"


UNLISTED = ALIAS_CLIENT.replace("shared", "Qwen/Qwen2-Math-7B").format(comment="")


def test_an_unlisted_sibling_is_only_a_suggestion_offline(project, monkeypatch, capsys):
    root = project({"c.py": UNLISTED})
    code, _, err = cli(root, monkeypatch, capsys, "--fix")
    assert code == 1 and "`Qwen/Qwen2-Math-7B-Instruct` is only suggested by a naming rule" in err


@pytest.mark.slow
def test_online_the_hub_confirms_an_unlisted_sibling(project, monkeypatch, capsys, fake_hub: FakeHub):  # noqa: F811
    root = project({"c.py": UNLISTED})
    code, _, err = cli(root, monkeypatch, capsys, "--fix", "--online")
    assert (root / "c.py").read_text() == UNLISTED.replace("Qwen2-Math-7B", "Qwen2-Math-7B-Instruct")
    assert "/api/models/Qwen/Qwen2-Math-7B-Instruct" in fake_hub.paths() and code == 0
    asked = len(fake_hub.requests)
    (root / "d.py").write_text(UNLISTED)
    cli(root, monkeypatch, capsys, "--diff", "--online")
    assert len(fake_hub.requests) == asked  # the Hub's answers are cached


def test_online_a_sibling_the_hub_does_not_have_is_not_fixed(project, monkeypatch, capsys,
                                                             fake_hub: FakeHub):  # noqa: F811
    source = ALIAS_CLIENT.replace("shared", "Qwen/Qwen2-VL-7B").format(comment="")
    root = project({"c.py": source})
    code, _, err = cli(root, monkeypatch, capsys, "--fix", "--online")
    assert (root / "c.py").read_text() == source and code == 1
    assert "the Hub has no usable `Qwen/Qwen2-VL-7B-Instruct` (missing)" in err


# ---- the golden projects: every fix the plan offers removes its findings and adds none -------------------

@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_fixing_a_golden_project_removes_exactly_the_fixable_findings(name, tmp_path, monkeypatch, capsys):
    root = tmp_path / name
    shutil.copytree(GOLDEN / name, root)
    result = scan_dir(root)
    fixable = {(f.rule, f.path, f.line) for f in result.findings if f.fixable}
    rest = {(f.rule, f.path, f.line) for f in result.findings if not f.fixable}
    before = snapshot(root)
    cli(root, monkeypatch, capsys, "--fix")
    after = snapshot(root)
    edits = {(e.path, e.line) for f in result.findings if f.fixable for e in f.autofix.edits}
    assert {(path, before[path].decode().splitlines().index(old) + 1)
            for path, old, _ in changed_lines(before, after)} == edits
    remaining = {(f.rule, f.path, f.line) for f in scan_dir(root).findings}
    assert remaining == rest and not remaining & fixable
    cli(root, monkeypatch, capsys, "--fix")
    assert snapshot(root) == after


# ---- the rule documents' bad examples: fixing them settles every finding marked fixable -------------------

def _bad_example_groups():
    from tests.test_rule_docs import _example_groups

    return [p for p in _example_groups() if "-Example-" in p.id]


@pytest.mark.parametrize("code, examples", _bad_example_groups())
def test_fixing_a_documented_bad_example_settles_its_fixable_findings(tmp_path, code, examples):
    for example in examples:
        (tmp_path / example.filename).write_text(example.body, encoding="utf-8")
    result = scan_dir(tmp_path, select=("ALL",))
    fixable = {(f.rule, f.path, f.line) for f in result.findings if f.fixable}
    write_patches(build_patches({f.autofix for f in result.findings if f.fixable}, tmp_path), tmp_path)
    after = scan_dir(tmp_path, select=("ALL",))
    assert not {(f.rule, f.path, f.line) for f in after.findings} & fixable
    assert not after.errors
