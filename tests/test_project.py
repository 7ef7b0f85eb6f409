"""The project is the unit of analysis, the given paths the unit of reporting (`vlint/project.py`).

A run on a few files links them against their whole project and reports the project's findings that touch
them; the equivalence test holds every file of every golden project to exactly that, against a full scan.
The hook itself, under real pre-commit, is in `test_precommit.py`.
"""

from __future__ import annotations

import io
import json
import shutil
import textwrap
from pathlib import Path

import pytest

import vlint.api
from tests.conftest import REPO
from vlint.api import scan
from vlint.cli import main
from vlint.config import Config
from vlint.discover import discover
from vlint.findings import Finding
from vlint.project import find_project_root, top_level_names, touches

GOLDEN = Path(__file__).parent / "golden"

SERVE_INSTRUCT = "#!/usr/bin/env bash\nvllm serve Qwen/Qwen2.5-14B-Instruct --served-model-name qwen --port 8000\n"
SERVE_BASE = SERVE_INSTRUCT.replace("-Instruct", "")
CLIENT = """\
    from openai import OpenAI

    client = OpenAI(base_url="http://localhost:8000/v1")
    reply = client.chat.completions.create(model="qwen", messages=[{"role": "user", "content": "hi"}])
    """
SUPPRESSED = """\
    from openai import OpenAI

    client = OpenAI(base_url="http://localhost:8000/v1")
    # vlint: ignore[VL001] a continuation experiment that chats with the base model on purpose
    reply = client.chat.completions.create(model="qwen", messages=[{"role": "user", "content": "hi"}])
    """


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose client calls the alias `qwen` that `serve.sh` serves (from the base model)."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return write(root, {"serve.sh": SERVE_BASE, "app/client.py": CLIENT, "app/util.py": "def f():\n    return 1\n"})


def run(paths: list[str], root: Path, **config: object):
    """A scan from `root` (paths as the command line gives them there)."""
    return scan([root / p for p in paths], Config(**config), cwd=root)  # type: ignore[arg-type]


def places(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return [(f.rule, f.path, f.line) for f in findings]


# ---- the project root ----------------------------------------------------------------------------------

@pytest.mark.parametrize("marker, text", [
    (".git", None), ("vlint.toml", ""), (".vlint.toml", ""), ("pyproject.toml", "[tool.vlint]\nignore = []\n"),
])
def test_the_nearest_marked_folder_is_the_project(tmp_path: Path, marker: str, text: str | None):
    top = tmp_path / "top"
    (top / "a" / "b").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    if text is None:
        (top / marker).mkdir()
    else:
        (top / marker).write_text(text)
    assert find_project_root(top / "a" / "b" / "x.py") == top
    assert find_project_root(top / "a") == top


def test_a_pyproject_without_a_vlint_table_marks_nothing(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "pyproject.toml").write_text("[tool.vlint\n")  # not TOML: the config loader says so
    assert find_project_root(tmp_path / "sub") == tmp_path
    assert find_project_root(tmp_path / "bad") == tmp_path


def test_the_home_folder_is_never_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "home"
    (home / ".git").mkdir(parents=True)  # a dotfiles repository
    (home / "code").mkdir()
    monkeypatch.setenv("HOME", str(home))
    assert find_project_root(home / "code" / "x.py") is None


# ---- the cases of issue 16 -----------------------------------------------------------------------------

def test_a_client_alone_is_linked_to_the_launch_that_serves_its_alias(repo: Path):
    result = run(["app/client.py"], repo)
    assert places(result.findings) == [("VL001", "app/client.py", 4)]
    assert {(r.label, r.path) for r in result.findings[0].related} >= {("launch", "serve.sh")}
    isolated = run(["app/client.py"], repo, isolated=True)
    assert isolated.findings == []  # per-file semantics, asked for


def test_a_launch_alone_fails_on_the_client_it_breaks(repo: Path):
    result = run(["serve.sh"], repo)
    assert places(result.findings) == [("VL001", "app/client.py", 4)]
    assert any("launched by vllm serve at serve.sh:2:1" in line for line in result.findings[0].evidence)
    assert result.files_scanned == 1
    (repo / "serve.sh").write_text(SERVE_INSTRUCT)
    assert run(["serve.sh"], repo).findings == []


def test_a_launch_alone_leaves_out_clients_that_name_the_model_themselves(repo: Path, monkeypatch, capsys):
    """A client that names `Qwen/Qwen2.5-14B` is wrong whatever serve.sh says: a run on serve.sh reports
    the clients whose model comes from it (the alias), not every client of that model in the repository."""
    write(repo, {"eval/direct.py": CLIENT.replace('model="qwen"', 'model="Qwen/Qwen2.5-14B"')})
    full = run(["."], repo)
    assert ("VL001", "eval/direct.py", 4) in places(full.findings)
    assert places(run(["serve.sh"], repo).findings) == [("VL001", "app/client.py", 4)]
    assert places(run(["eval/direct.py"], repo).findings) == [("VL001", "eval/direct.py", 4)]
    monkeypatch.chdir(repo)
    assert main(["scan", "serve.sh", "--format", "concise", "--no-cache"]) == 1
    # the finding lies outside the one file scanned: the summary says so rather than "1 of 1"
    assert "Found 1 finding (1 fixable) in 1 file (1 file scanned, linked to the whole project)." in (
        capsys.readouterr().out.splitlines())


def test_a_suppression_is_judged_against_the_project(repo: Path):
    write(repo, {"app/client.py": SUPPRESSED})
    result = run(["app/client.py"], repo)
    assert result.findings == [] and places(result.suppressed) == [("VL001", "app/client.py", 5)]
    isolated = run(["app/client.py"], repo, isolated=True)
    assert places(isolated.findings) == [("VL100", "app/client.py", 4)]


def test_only_the_given_files_carry_their_unused_suppressions_and_errors(repo: Path):
    write(repo, {"app/stale.py": "x = 1  # vlint: ignore[VL001] nothing here\n", "app/broken.py": "def (:\n"})
    result = run(["app/client.py"], repo)
    assert places(result.findings) == [("VL001", "app/client.py", 4)] and result.errors == []
    assert places(run(["app/stale.py"], repo).findings) == [("VL100", "app/stale.py", 1)]


def test_a_file_that_says_nothing_does_not_read_the_project(repo: Path, file_reads):
    assert run(["app/util.py"], repo).findings == []
    assert set(file_reads()) == {"app/util.py"}  # read to extract it, and for its module constants


def test_a_module_constant_read_by_a_client_links_its_file(repo: Path):
    write(repo, {"app/settings.py": 'MODEL = "Qwen/Qwen2.5-14B"\nTIMEOUT = 30\n',
                 "app/direct.py": """\
                     from openai import OpenAI
                     from app.settings import MODEL

                     OpenAI().chat.completions.create(model=MODEL, messages=[])
                     """})
    full = run(["."], repo)
    assert ("VL001", "app/direct.py", 4) in places(full.findings)
    assert places(run(["app/settings.py"], repo).findings) == [("VL001", "app/direct.py", 4)]
    (repo / "app" / "settings.py").write_text('MODEL = "Qwen/Qwen2.5-14B-Instruct"\n')
    assert run(["app/settings.py"], repo).findings == []


def test_a_file_whose_constants_no_file_reads_does_not_link_the_project(repo: Path, file_reads, monkeypatch):
    monkeypatch.setattr("vlint.cache.manifest.RACY_NS", 0)  # the stamps vouch for files written just now
    write(repo, {"app/limits.py": 'TIMEOUT = 30\nNAME: str = "x"\n'})
    run(["."], repo)  # the project's facts stored: they tell that nothing reads app.limits
    file_reads.clear()
    assert run(["app/limits.py"], repo).findings == []
    assert set(file_reads()) == {"app/limits.py"}


def test_the_top_level_names_found_without_parsing_hold_every_module_constant():
    """The cheap test before the parse must not miss a constant the linker would read (a superset)."""
    from vlint.extract.python.constants import module_constants

    sources = [*sorted((REPO / "vlint").rglob("*.py")), *sorted(GOLDEN.rglob("*.py"))]
    extra = 'import os; MODEL = "a"\nX: Literal["a=b"] = "q"\nY = Z = os.getenv("M", "d")\nif True:\n    W = 1\n'
    for text in [p.read_text(encoding="utf-8") for p in sources] + [extra]:
        assert set(module_constants(text)) <= top_level_names(text)
    assert {"MODEL", "X", "Y"} <= set(module_constants(extra)) and "W" not in module_constants(extra)


def test_the_project_root_can_be_named(repo: Path):
    client = [repo / "app" / "client.py"]
    assert scan(client, Config(), cwd=repo, project_root=repo / "app").findings == []
    assert places(scan(client, Config(cache=False), cwd=repo, project_root=repo).findings) == \
        [("VL001", "app/client.py", 4)]


def test_the_isolated_key_of_the_configuration(repo: Path, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    assert main(["scan", "app/client.py", "--format", "json"]) == 1
    (repo / "vlint.toml").write_text("isolated = true\n")
    assert main(["scan", "app/client.py", "--format", "json"]) == 0
    assert main(["scan", "--project-root", "nowhere", "app/client.py"]) == 2
    assert "--project-root nowhere: no such folder" in capsys.readouterr().err


def test_a_subfolder_run_links_against_the_whole_project(repo: Path, monkeypatch, capsys):
    monkeypatch.chdir(repo / "app")
    assert main(["scan", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [("VL001", "client.py")]
    assert {r["path"] for r in report["findings"][0]["related"]} == {"../serve.sh"}  # relative to the working folder
    monkeypatch.chdir(repo)
    assert main(["scan", "app", "--format", "json"]) == 1  # `vlint scan subdir/` from the top: the same link
    report = json.loads(capsys.readouterr().out)
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [("VL001", "app/client.py")]


def test_stdin_takes_the_place_of_its_file_in_the_project(repo: Path, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    write(repo, {"app/client.py": "print('not a client yet')\n"})
    monkeypatch.setattr("sys.stdin", io.StringIO(textwrap.dedent(CLIENT)))
    assert main(["scan", "--stdin-filename", "./app/client.py", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(f["rule"], f["path"], f["line"]) for f in report["findings"]] == [("VL001", "app/client.py", 4)]
    # the buffer's own facts replace the file's: a fixed buffer is clean although the file on disk is not
    write(repo, {"app/client.py": CLIENT})
    monkeypatch.setattr("sys.stdin", io.StringIO("print('fixed')\n"))
    assert main(["scan", "--stdin-filename", "app/client.py", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_a_new_client_of_the_alias_alone(repo: Path):
    write(repo, {"svc/new.py": CLIENT.replace("reply", "answer")})
    assert places(run(["svc/new.py"], repo).findings) == [("VL001", "svc/new.py", 4)]


@pytest.mark.parametrize("quiet", [[], ["--quiet"], ["-q"]], ids=["loud", "quiet", "q"])
def test_a_slow_first_run_says_so_once_unless_quiet(repo: Path, monkeypatch, capsys, tmp_path: Path,
                                                     quiet: list[str]):
    import vlint.project

    monkeypatch.setattr(vlint.project, "COLD_NOTE_S", 0.0)  # every first run is "slow" here
    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "cache"))  # no cache of this project yet
    monkeypatch.chdir(repo)
    notes = []
    for _ in range(2):
        assert main(["scan", "app/client.py", *quiet]) == 1
        notes.append([line for line in capsys.readouterr().err.splitlines() if "whole project" in line])
    if quiet:
        assert notes == [[], []]
    else:
        assert notes[0] == ["vlint: read the whole project once to link the given files (3 files under ., "
                            + notes[0][0].split(", ")[-1]]
        assert notes[0][0].endswith(" s); the next runs use the cache") and notes[1] == []  # once: then warm
    assert main(["scan", "app/client.py", "--no-cache", *quiet]) == 1  # no cache: every run is a first run
    told = capsys.readouterr().err
    assert ("without a cache every run does" in told) is not bool(quiet)


def test_a_fast_first_run_says_nothing(repo: Path, monkeypatch, capsys, tmp_path: Path):
    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(repo)
    assert main(["scan", "app/client.py"]) == 1
    assert "whole project" not in capsys.readouterr().err  # three files: far under a second


@pytest.mark.parametrize("how", ["--fix", "--diff"])
def test_a_fix_on_a_one_file_run_fixes_what_it_reports_and_nothing_else(repo: Path, monkeypatch, capsys, how):
    """The client names the alias, the launch holds the model: fixing the client's finding edits serve.sh
    (a finding is fixed everywhere or nowhere). Another base model of the project, in a file the run does
    not touch, is left as it is."""
    other = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n'
    write(repo, {"svc/other.py": other})
    monkeypatch.chdir(repo)
    assert main(["scan", how, "app/client.py"]) == (0 if how == "--fix" else 1)
    out, err = capsys.readouterr()
    if how == "--fix":
        assert (repo / "serve.sh").read_text() == SERVE_INSTRUCT
        assert "serve.sh:2:12: Qwen/Qwen2.5-14B -> Qwen/Qwen2.5-14B-Instruct" in err
    else:
        assert (repo / "serve.sh").read_text() == SERVE_BASE
        assert "+vllm serve Qwen/Qwen2.5-14B-Instruct --served-model-name qwen" in out
    assert "other.py" not in out + err and (repo / "svc" / "other.py").read_text() == other
    assert ("VL001", "svc/other.py", 2) in places(run(["."], repo).findings)  # reported by a full scan only


# ---- one file at a time reports what the whole scan reports about it --------------------------------------

def _shown(findings: list[Finding]) -> list[tuple]:
    return sorted((f.rule, f.path, f.line, f.column, f.severity, f.confidence, f.message, tuple(f.evidence),
                   f.related, f.suppressed, f.autofix.describe() if f.autofix else None,
                   f.autofix.edits if f.autofix else None) for f in findings)


EQUIVALENCE = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


@pytest.mark.parametrize("cache", ["warm", "changed", "cache", "no-cache"])
@pytest.mark.parametrize("name", EQUIVALENCE)
def test_each_file_alone_gets_the_full_scans_findings_that_touch_it(name: str, cache: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    """`changed` is the pre-commit shape: each file edited (a blank line at its end) before it is scanned
    alone, so a worker parses it while this process reads the rest of the project from the cache."""
    if cache in ("warm", "changed"):  # the stamps vouch for these new files: the shortcuts that trust the store
        monkeypatch.setattr("vlint.cache.manifest.RACY_NS", 0)
    prefetched: list[object] = []
    real_prefetch = vlint.api.prefetch
    monkeypatch.setattr("vlint.api.prefetch", lambda *a: prefetched.append(real_prefetch(*a)) or prefetched[-1])
    root = tmp_path / name
    shutil.copytree(GOLDEN / name, root)
    (root / ".git").mkdir()
    # and an alias served from a base model, its client and a suppressed one
    write(root, {"zz_client.py": CLIENT, "zz_suppressed.py": SUPPRESSED, "zz_serve.sh": SERVE_BASE})
    config = Config(cache=cache != "no-cache")
    full = scan([root], config, cwd=root)
    assert full.findings and full.suppressed
    for display in [s.display for s in discover([root], cwd=root)]:
        if cache == "changed":
            with open(root / display, "a", encoding="utf-8") as fh:
                fh.write("\n")
        alone = scan([root / display], config, cwd=root)
        given = frozenset({display})
        assert _shown(alone.findings) == _shown([f for f in full.findings if touches(f, given)]), display
        assert _shown(alone.suppressed) == _shown([f for f in full.suppressed if touches(f, given)]), display
        assert alone.errors == [e for e in full.errors if e.path == display]
    # the edited files that say something were parsed by a worker, and the rest came from the cache meanwhile
    assert bool(prefetched) == (cache == "changed")
    assert all(p.facts for p in prefetched)


def _every_location(value: object, found: set[tuple[str, int, int]], *, typed: bool) -> None:
    """Every Location an object holds: through every dataclass field (`typed=False`), or through the fields
    `narrow` looks into (`typed=True`)."""
    import dataclasses

    from vlint.facts import Location
    from vlint.project import _fields

    if isinstance(value, Location):
        found.add((value.path, value.line, value.column))
    elif isinstance(value, (tuple, list)):
        for item in value:
            _every_location(item, found, typed=typed)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _fields(type(value)) if typed else [f.name for f in dataclasses.fields(value)]
        for name in names:
            _every_location(getattr(value, name), found, typed=typed)


@pytest.mark.parametrize("name", EQUIVALENCE)
def test_narrow_looks_into_every_field_that_holds_a_place(name: str, tmp_path: Path):
    """`narrow` skips the fields whose declared type cannot hold a Location (a `str`, a `tuple[str, ...]`):
    over every linked use of every golden project, it must find every place an untyped walk finds."""
    from vlint.link import link
    from vlint.project import prepare_narrow

    prepare_narrow()
    root = tmp_path / name
    shutil.copytree(GOLDEN / name, root)
    write(root, {"zz_client.py": CLIENT, "zz_serve.sh": SERVE_BASE})
    from vlint.extract.runner import extract_all

    facts = [f for f, _ in extract_all(discover([root], cwd=root), Config(cache=False)) if not f.says_nothing]
    project = link(facts, root, max_file_size=Config().max_file_size)
    assert project.requests
    for use in (*project.requests, *project.serves):
        typed: set[tuple[str, int, int]] = set()
        untyped: set[tuple[str, int, int]] = set()
        _every_location(use, typed, typed=True)
        _every_location(use, untyped, typed=False)
        assert typed == untyped and untyped, use
