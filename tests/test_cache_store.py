"""The project cache keeps only what it can check: a damaged entry is a miss, never an error and never a
wrong finding; the codec gives back exactly what it stored; old entries and projects are evicted."""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vlint.api import scan
from vlint.cache import folders
from vlint.cache.codec import CorruptEntry, decode_entry, encode_entry
from vlint.cache.store import DAY_S, MAX_AGE_S, Store
from vlint.config import Config
from vlint.facts import FileFacts

FILES = {
    "client.py": 'from openai import OpenAI\n'
                 'OpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[], temperature=0.1)\n',
    "svc/use.py": 'from openai import OpenAI\nOpenAI().chat.completions.create(model="prod", messages=[])\n',
    "deploy/run.sh": "vllm serve Qwen/Qwen2.5-7B --served-model-name prod\n",
    "deploy/.env": "MODEL=Qwen/Qwen2.5-14B\n",
    "near.py": "from openai import OpenAI\nclient = OpenAI()\n",
    "quiet.py": "x = 1  # vlint: ignore[VL001] nothing here\n",
    "plain.py": "def add(a, b):\n    return a + b\n",
    "broken.py": "from openai import OpenAI\nclient = OpenAI(\ndef broken(:\n",
}


def _shape(result) -> list[tuple]:
    return sorted((f.rule, f.path, f.line, f.column, f.model, f.message) for f in result.findings) + \
        sorted(("error", e.path, e.line or 0, e.reason) for e in result.errors)


@pytest.fixture
def primed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A project scanned once with the cache (files aged past the racy window, so the warm path is the
    stamps and the stored facts), the reference result without cache, and the cache's pristine bytes."""
    root = tmp_path / "p"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    past = time.time() - 60
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past))
    time.sleep(2.1)
    cache = tmp_path / "user"
    monkeypatch.setenv("VLINT_CACHE_DIR", str(cache))
    reference = _shape(scan([root], Config(cache=False), cwd=root))
    assert any(r[0] == "VL001" for r in reference) and any(r[0] == "error" for r in reference)
    assert _shape(scan([root], Config(cache=True), cwd=root)) == reference
    (db,) = cache.glob("projects/*/cache.sqlite3")
    return root, cache, db, reference


def _restore(db: Path, pristine: dict[str, bytes]) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(pristine["db"])


@pytest.mark.slow
def test_flipped_bytes_and_truncations_never_change_a_finding(primed) -> None:
    """Bit flips anywhere in the store (the payloads found by their text, the rest at random) and truncated
    files: every run says exactly what a run without cache says, and the next run too."""
    root, _, db, reference = primed
    pristine = {"db": db.read_bytes()}
    blob = pristine["db"]
    targets = [blob.find(word.encode()) for word in ("Qwen/Qwen2.5-14B", "prod", "client.py", "vlint:",
                                                     "broken.py", "deploy/.env")]
    rng = random.Random(1234)
    cases: list[tuple[str, list[int] | int]] = [("flip", [t + rng.randrange(8)]) for t in targets if t >= 0]
    cases += [("flip", [rng.randrange(len(blob)) for _ in range(rng.randint(1, 8))]) for _ in range(24)]
    cases += [("truncate", rng.randrange(len(blob))) for _ in range(6)] + [("truncate", 0), ("truncate", 100)]
    for what, where in cases:
        _restore(db, pristine)
        if what == "flip":
            data = bytearray(blob)
            for offset in where:  # type: ignore[union-attr]
                data[offset] ^= 1 << rng.randrange(8)
            db.write_bytes(bytes(data))
        else:
            db.write_bytes(blob[:where])  # type: ignore[misc]
        for _ in range(2):
            assert _shape(scan([root], Config(cache=True), cwd=root)) == reference, (what, where)


@pytest.mark.slow
def test_garbage_in_place_of_the_store_is_replaced(primed) -> None:
    root, _, db, reference = primed
    db.write_bytes(b"\x89not a database at all" * 100)
    assert _shape(scan([root], Config(cache=True), cwd=root)) == reference
    assert Store.open(db.parent) is not None  # rebuilt: usable again
    assert _shape(scan([root], Config(cache=True), cwd=root)) == reference


@pytest.mark.slow
def test_a_store_planted_as_a_symlink_is_not_opened(primed, tmp_path) -> None:
    root, _, db, reference = primed
    elsewhere = tmp_path / "elsewhere.sqlite3"
    shutil.move(db, elsewhere)
    db.symlink_to(elsewhere)
    assert Store.open(db.parent) is None
    assert _shape(scan([root], Config(cache=True), cwd=root)) == reference


# ---- the codec ---------------------------------------------------------------------------------------------

@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_type(FileFacts), st.none() | st.text())
def test_the_codec_gives_back_exactly_what_it_stored(facts: FileFacts, text: str | None) -> None:
    # compared by repr: a NaN temperature (YAML `.nan`) comes back as NaN, which is not equal to itself
    assert repr(decode_entry(encode_entry(facts, text))) == repr((facts, text))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.from_type(FileFacts), st.data())
def test_a_mangled_entry_decodes_to_facts_or_is_refused(facts: FileFacts, data: st.DataObject) -> None:
    payload = bytearray(encode_entry(facts, None).encode())
    for _ in range(data.draw(st.integers(1, 4))):
        payload[data.draw(st.integers(0, len(payload) - 1))] = data.draw(st.integers(0, 255))
    try:
        decoded, _ = decode_entry(bytes(payload))
    except CorruptEntry:
        return
    assert isinstance(decoded, FileFacts)
    assert decode_entry(encode_entry(decoded, None))[0] == decoded  # whatever is accepted is well-formed


@pytest.mark.parametrize("payload", ['[["a.py","python",[],[],[],[]],null,1]', '[["a.py","python",[],[],[]],null]',
                                     '[["a.py","python",[],[],[],[["a.py","x",true]]],null]',
                                     '[["a.py","python",[],[],[],[]],5]', '{"facts":1}', "[" * 100000])
def test_wrong_shapes_are_refused(payload: str) -> None:
    with pytest.raises(CorruptEntry):
        decode_entry(payload)


# ---- eviction ----------------------------------------------------------------------------------------------

def test_facts_unused_for_a_month_and_the_least_recent_beyond_the_size_cap_are_evicted(tmp_path, monkeypatch):
    store = Store.open(tmp_path)
    assert store is not None and store.conn is not None
    store.put_facts([("old", "[]"), ("recent", "[]"), ("big", "x" * 1000), ("bigger", "y" * 2000)])
    now = time.time()
    store.conn.execute("UPDATE facts SET used = ? WHERE key = 'old'", (int(now - MAX_AGE_S - DAY_S),))
    store.conn.execute("UPDATE facts SET used = ? WHERE key = 'bigger'", (int(now - 3 * DAY_S),))
    store.put_blob("walk", "old", "{}")
    store.put_blob("walk", "recent", "{}")
    store.conn.execute("UPDATE blobs SET used = ? WHERE scope = 'old'", (int(now - MAX_AGE_S - DAY_S),))
    monkeypatch.setattr("vlint.cache.store.MAX_FACT_BYTES", 1500)
    store.evict(now)
    assert {k for (k,) in store.conn.execute("SELECT key FROM facts")} == {"recent", "big"}
    assert (store.blob("walk", "old"), store.blob("walk", "recent")) == (None, "{}")
    store.close()


def test_stamps_not_renewed_for_a_month_are_dropped_when_the_stamps_are_next_written(tmp_path):
    from vlint.cache.manifest import Manifest

    store = Store.open(tmp_path)
    assert store is not None
    st = os.stat(tmp_path)
    old = Manifest(store, "scope")
    old.started_ns = time.time_ns() - (MAX_AGE_S + DAY_S) * 1_000_000_000
    old.fresh["gone.py"] = [1, 1, 1, 1, "", old.started_ns // 86_400_000_000_000]
    old.save()
    assert set(Manifest(store, "scope").records) == {"gone.py"}
    fresh = Manifest(store, "scope")
    fresh.started_ns += 10 * 1_000_000_000  # the folder's times are no longer racy
    fresh.keep("here.py", st, "")
    fresh.save()
    assert set(Manifest(store, "scope").records) == {"here.py"}
    store.close()


def test_projects_not_scanned_for_a_month_are_removed_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "user"))
    old = folders.project_folder(tmp_path / "old")
    recent = folders.project_folder(tmp_path / "recent")
    assert old is not None and recent is not None
    (old / "cache.sqlite3").write_text("x")
    month_ago = time.time() - folders.PROJECT_MAX_AGE_S - DAY_S
    os.utime(old / folders.MARKER, (month_ago, month_ago))
    unmarked = old.parent / "not-ours"
    unmarked.mkdir()
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / folders.MARKER).write_text(folders.MARKER_TEXT)
    os.utime(victim / folders.MARKER, (month_ago, month_ago))
    (old.parent / "linked").symlink_to(victim, target_is_directory=True)
    assert folders.sweep_projects() == 1
    assert not old.exists() and recent.exists() and unmarked.exists() and (victim / folders.MARKER).exists()
    assert folders.sweep_projects() == 0  # once a day


def test_cache_clear_removes_this_projects_cache(tmp_path, monkeypatch, capsys):
    from vlint.cli import main

    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "user"))
    root = tmp_path / "p"
    root.mkdir()
    (root / "client.py").write_text(FILES["client.py"])
    monkeypatch.chdir(root)
    assert main(["scan", ".", "--format", "json"]) == 1
    folder = tmp_path / "user" / folders.PROJECTS / folders.project_name(root)
    assert (folder / "cache.sqlite3").exists()
    capsys.readouterr()
    assert main(["cache", "clear"]) == 0
    assert not folder.exists()
    assert json.loads(json.dumps(capsys.readouterr().out)).startswith("Removed")


def test_an_edit_of_vlints_own_code_is_a_new_cache(tmp_path, monkeypatch) -> None:
    """A checkout's edit (or another branch) changes what extractors emit within one version: the code's
    stamps are part of every key, so no fact stored by other code is read back."""
    from vlint.extract import perfile

    package = tmp_path / "pkg"
    (package / "sub" / "__pycache__").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "sub" / "b.py").write_text("B = 1\n")
    first = perfile.code_stamp(package)
    (package / "sub" / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"\0")
    assert perfile.code_stamp(package) == first  # compiled files are not the code
    (package / "sub" / "b.py").write_text("B = 22\n")
    assert perfile.code_stamp(package) != first

    perfile.data_digest.cache_clear()
    before = perfile.data_digest()
    monkeypatch.setattr(perfile, "code_stamp", lambda _package: "other code")
    perfile.data_digest.cache_clear()
    try:
        assert perfile.data_digest() != before
    finally:
        perfile.data_digest.cache_clear()
