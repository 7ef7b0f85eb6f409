"""One file's work, the same in the scanning process and in a worker: read, check, key, look up, extract.

`prepare` settles most files without an extractor: a read error, a binary file, a file without the
kind's trigger words (`vlint.extract.passes_word_check`, microseconds), or one whose content key is in
the cache. `finish` runs the extractor on the rest. `process` is both. The driver (`runner.py`) and the
workers (`pool.py`) call these and nothing else, so a pooled scan and a one-process scan cannot differ.
"""

from __future__ import annotations

import hashlib
import os
import stat as stat_module
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from vlint import __version__
from vlint.cache.codec import CorruptEntry, decode_entry, encode_entry, format_id
from vlint.facts import FileFacts, ParseError

if TYPE_CHECKING:
    from vlint.cache.store import Reader, Store

BINARY_SNIFF = 8192
SUPPRESSION_WORD = "vlint:"
FILE_BUDGET_S = 30.0  # one file's extraction, at most (`VLINT_FILE_TIMEOUT` overrides)

# One file to process: [index, location, display, kind, text or None (the worker reads it), key or None].
Item = list[Any]


@dataclass
class Done:
    """What one file came to. `payload`: its cache entry text (facts and suppression text), "" when it
    said nothing, None when there is nothing to store; `key`: its content key when the cache is on;
    `outcome`: what its stamp records ("": nothing to load, else the key of its entry; None: record
    nothing, read it again next time); `fresh`: extracted by this run, to be stored under `key`."""

    index: int
    payload: str | None = None
    key: str | None = None
    outcome: str | None = None
    fresh: bool = False

    def to_json(self) -> list[Any]:
        return [self.index, self.payload, self.key, self.outcome, self.fresh]

    @classmethod
    def from_json(cls, data: Any) -> Done:
        index, payload, key, outcome, fresh = data
        if not (type(index) is int and isinstance(payload, (str, type(None))) and isinstance(key, (str, type(None)))
                and isinstance(outcome, (str, type(None))) and type(fresh) is bool):
            raise CorruptEntry("a worker's answer has the wrong shape")
        return cls(index, payload, key, outcome, fresh)


@dataclass(frozen=True)
class Job:
    """What every file of a scan shares, handed to the workers once."""

    max_size: int
    keyed: bool           # the cache is on: key files by content, look them up, store them
    db: str | None        # the cache file workers look keys up in
    budget_s: float = FILE_BUDGET_S


# ---- reading ---------------------------------------------------------------------------------------------

def read_file(location: str, display: str, max_size: int) -> tuple[bytes | None, str | None, ParseError | None]:
    """One read of a file: its bytes (the key hashes them), its text (None for a binary file), or why not.

    Regular files only: a FIFO, socket or device is an error entry, never a read that blocks (checked
    before opening, and again on the opened file, which is opened non-blocking). Never more than
    `max_size` bytes, even from a file that grows while it is read. Odd bytes decode safely."""
    try:
        if not stat_module.S_ISREG(os.stat(location).st_mode):
            return None, None, ParseError(display, "not read: not a regular file")
        fd = os.open(location, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        return None, None, ParseError(display, f"cannot read: {exc.strerror or exc}")
    with os.fdopen(fd, "rb") as fh:
        try:
            st = os.fstat(fh.fileno())
            if not stat_module.S_ISREG(st.st_mode):
                return None, None, ParseError(display, "not read: not a regular file")
            if max_size and st.st_size > max_size:
                return None, None, ParseError(display, f"skipped: {st.st_size} bytes is over max-file-size "
                                                       f"({max_size})")
            data = _read_bounded(fh, st.st_size, max_size)
        except OSError as exc:
            return None, None, ParseError(display, f"cannot read: {exc.strerror or exc}")
    if max_size and len(data) > max_size:
        return None, None, ParseError(display, f"skipped: over max-file-size ({max_size}) while read")
    if b"\x00" in data[:BINARY_SNIFF]:
        return data, None, None
    try:
        return data, data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data, data.decode("utf-8", errors="replace"), None


def _read_bounded(fh: BinaryIO, size: int, max_size: int) -> bytes:
    """The file's bytes, at most `max_size` + 1 of them (0: no limit). Read by the size `fstat` gave, plus
    one byte to see growth (a `read(max_size + 1)` allocates the whole limit for every file: a third of a
    worker's time on a tree of small files), then the rest, still bounded, if it grew."""
    first = size + 1 if size else (max_size + 1 if max_size else -1)
    if max_size:
        first = min(first, max_size + 1)
    data = fh.read(first)
    if first != -1 and len(data) == first and (not max_size or len(data) <= max_size):
        data += fh.read(max_size + 1 - len(data) if max_size else -1)
    return data


# ---- one file: prepare (read, check, key, look up), then extract -------------------------------------------

def extract_text(kind: str, text: str, display: str) -> FileFacts:
    """Run one extractor, turning any failure into an error entry: one bad file never stops a scan."""
    from vlint.extract import get_extractor, passes_word_check

    if not passes_word_check(kind, text):
        from vlint.extract.syntax import dropped_file_errors

        # provably nothing there, and the extractor stays unimported; a Python syntax error is still listed
        return FileFacts(display, kind, errors=dropped_file_errors(kind, text, display))
    extractor = get_extractor(kind)
    if extractor is None:
        return FileFacts(display, kind)
    try:
        return extractor(text, display)
    except RecursionError:
        facts = FileFacts(display, kind)
        facts.errors.append(ParseError(display, f"{kind} input nested too deeply to analyse"))
        return facts
    except Exception as exc:  # noqa: BLE001 - a crash on one file must not lose the others
        facts = FileFacts(display, kind)
        facts.errors.append(ParseError(display, f"internal error in the {kind} extractor: "
                                                f"{type(exc).__name__}: {exc}"))
        return facts


def _kept_text(text: str | None) -> str | None:
    """A file's text is kept only when it holds a suppression comment (the only later use of it)."""
    return text if text is not None and SUPPRESSION_WORD in text.lower() else None


def _silent(facts: FileFacts, text: str | None) -> bool:
    return text is None and facts.says_nothing


def entry_of(facts: FileFacts, text: str | None) -> str:
    """The cache entry text of a result; "" when the file said nothing."""
    return "" if _silent(facts, text) else encode_entry(facts, text)


@lru_cache(maxsize=1)
def data_digest() -> str:
    """What extraction depends on besides a file: vlint's version, its code as installed (an edit in a
    checkout, or another branch, changes what extractors emit within one version), the data in `rules/` (a
    catalogue edit does too), the facts' format and the Python version (the `ast` module's grammar)."""
    from vlint.knowledge import rules_dir

    digest = hashlib.sha256(f"{__version__}\0{format_id()}\0{sys.version_info[:2]}".encode())
    digest.update(code_stamp(Path(__file__).resolve().parent.parent).encode())
    for path in sorted(rules_dir().glob("*.yaml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def code_stamp(package: Path) -> str:
    """The name, size and modification time of every module of `package`: a `stat` each (~170, about a
    millisecond in all), not a read, as git's index tells a changed file."""
    digest = hashlib.sha256()
    folders = [str(package)]
    stamps: list[str] = []
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        folders.append(entry.path)
                elif entry.name.endswith(".py"):
                    st = entry.stat()
                    stamps.append(f"{os.path.relpath(entry.path, package)}\0{st.st_size}\0{st.st_mtime_ns}\n")
    for stamp in sorted(stamps):
        digest.update(stamp.encode())
    return digest.hexdigest()


def content_key(display: str, kind: str, data: bytes, max_size: int) -> str:
    digest = hashlib.sha256()
    for part in (data_digest(), display, kind, str(max_size)):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


def prepare(item: Item, job: Job, cache: Store | Reader | None) -> Done | Item:
    """Read, word-check, key and look up one file: a `Done` when that settles it, else the item with its
    text and key filled in, for `finish`. An item that comes with its text was prepared already (or is
    text from stdin): it goes to `finish` as it is."""
    index, location, display, kind, text, key = item
    if text is not None:
        return item
    data, text, error = read_file(location, display, job.max_size)
    if error is not None:
        facts = FileFacts(display, kind)
        facts.errors.append(error)
        return Done(index, encode_entry(facts, None))  # read again next time
    if text is None:
        return Done(index, outcome="")  # binary
    from vlint.extract import passes_word_check  # not imported by a warm run that reads nothing

    if not passes_word_check(kind, text):
        from vlint.extract.syntax import dropped_file_errors

        # No extractor; but a Python syntax error is still listed, and a file with one or with a suppression
        # comment (VL100 needs its text) is read again next time.
        dropped, kept = dropped_file_errors(kind, text, display), _kept_text(text)
        if dropped or kept:
            return Done(index, encode_entry(FileFacts(display, kind, errors=dropped), kept))
        return Done(index, outcome="")
    if job.keyed and data is not None:
        key = content_key(display, kind, data, job.max_size)
    if key is not None and cache is not None:
        stored = cache.get(key)
        if stored == "":
            return Done(index, None, key, "")
        if stored is not None:
            try:
                decode_entry(stored)
                return Done(index, stored, key, key)
            except CorruptEntry:
                pass
    return [index, location, display, kind, text, key]


def finish(item: Item) -> Done:
    """Extract a prepared file."""
    index, _, display, kind, text, key = item
    payload = entry_of(extract_text(kind, text, display), _kept_text(text))
    return Done(index, payload, key, key if payload else "", fresh=key is not None)


def process(item: Item, job: Job, cache: Store | Reader | None) -> Done:
    """`prepare`, then `finish` if needed: everything one file takes, in whichever process runs it."""
    ready = prepare(item, job, cache)
    return ready if isinstance(ready, Done) else finish(ready)


def file_budget() -> float:
    """Seconds one file's extraction may take: `VLINT_FILE_TIMEOUT`, else `FILE_BUDGET_S`."""
    try:
        value = float(os.environ.get("VLINT_FILE_TIMEOUT", ""))
        return value if value > 0 else FILE_BUDGET_S
    except ValueError:
        return FILE_BUDGET_S
