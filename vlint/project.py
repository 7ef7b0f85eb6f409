"""The project is the unit of analysis; the given paths are the unit of reporting.

A run on a few files (pre-commit passes the staged ones, an editor sends one buffer) still links them
against the whole project, so its findings are the whole project's findings that touch those files: the
ones at a given file, and the ones whose related places (where the model is named, the launch that serves
it, the line that sets its temperature) lie in one. A commit of `serve.sh` alone then fails at the client
it breaks, with the launch named as the cause, and a suppression in a client is judged against the
project (no false VL100).

The project is the nearest folder, at or above the first given path, holding `.git`, a `vlint.toml` (or
`.vlint.toml`) or a `pyproject.toml` with a `[tool.vlint]` table; never the home folder nor a filesystem
root (a dotfiles repository at `~` is no project of the code below it). `--project-root` names it
instead, `--isolated` (or `isolated = true`) reads only the given paths. Its files' facts come from the
per-file cache, so a warm run reads no file that did not change (a `stat` each), though it still decodes,
links and judges the facts of every file that says something (bench/README.md has the cost).

One shortcut, and why it is exact: a given file whose facts say nothing (no launch, request, variable or
anything else a linker joins) can be touched by no finding, unless another file reads one of its module
constants (`from settings import MODEL`: the linker reads them from disk). So when every given file says
nothing and no stored fact of the project reads one of their constants, the project is not linked (and when
they bind no top-level name at all, not even walked).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import sys
import typing
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from vlint.facts import FileFacts, Location

if TYPE_CHECKING:
    from vlint.config import Config
    from vlint.discover import SourceFile
    from vlint.extract.runner import ProjectCache
    from vlint.findings import Finding
    from vlint.link import LinkedRequest, LinkedServe, Project
    from vlint.suppress import SuppressionIndex

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAMES = ("vlint.toml", ".vlint.toml")
PYPROJECT_MAX_BYTES = 1 << 20
# The names a statement binds at a module's top level (`NAME = ...`, `A = B = ...`, `NAME: T = ...`, after a
# `;` too): a superset of the module constants the linker reads, found without parsing.
_ASSIGNED = re.compile(r"(?:^|;)[ \t]*([^\W\d]\w*(?:[ \t]*=[ \t]*[^\W\d]\w*)*)[ \t]*(?::[^\n]*?)?=(?!=)",
                       re.MULTILINE)
_NAME = re.compile(r"[^\W\d]\w*")
# A constant read through a stored fact's `symbol` (`module:NAME`).
_READ = re.compile(r':([^\W\d]\w*)"')
BUILT = "project"  # the store's mark that a run built the project's facts (the next runs are warm)
COLD_NOTE_S = 1.0  # a first run (no cache of the project) that spent longer reading the rest says so on stderr


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` (a file's folder, or a folder) that marks a project."""
    current = Path(os.path.abspath(start))
    if not current.is_dir():
        current = current.parent
    home = os.path.realpath(Path.home())
    while True:
        if current.parent == current or os.path.realpath(current) == home:
            return None
        if _marks_project(current):
            return current
        current = current.parent


def _marks_project(folder: Path) -> bool:
    if os.path.exists(folder / ".git") or any((folder / name).is_file() for name in CONFIG_NAMES):
        return True
    pyproject = folder / "pyproject.toml"
    try:
        with open(pyproject, "rb") as fh:
            data = fh.read(PYPROJECT_MAX_BYTES + 1)
    except OSError:
        return False
    if b"vlint" not in data or len(data) > PYPROJECT_MAX_BYTES:
        return False
    try:  # a file that is not TOML marks nothing here (the configuration loader reports it, if it reads it)
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return isinstance(tool, dict) and isinstance(tool.get("vlint"), dict)


def covers(paths: Iterable[str | Path], root: Path) -> bool:
    """Whether a given folder holds the whole project (`vlint scan .` at its top): nothing else to read."""
    top = os.path.abspath(root)
    for raw in paths:
        path = os.path.abspath(raw)
        if os.path.isdir(path) and (top == path or top.startswith(path.rstrip(os.sep) + os.sep)):
            return True
    return False


def says_something(facts: FileFacts) -> bool:
    """Whether a file's facts hold anything the linker joins: every list of `FileFacts` but its errors (a
    list added to the facts later counts, unread)."""
    return any(getattr(facts, f.name) for f in dataclasses.fields(facts)
               if f.name != "errors" and isinstance(getattr(facts, f.name), list))


def touches(finding: Finding, given: frozenset[str]) -> bool:
    """Whether a finding is at a given file, or one of its related places is. The launches it reaches count
    only when its model comes from elsewhere (a served alias, the model a server lists): a client that names
    `Qwen/Qwen2.5-7B` itself is wrong whatever the launches serving that model say, so a run on one of them
    (`vlint scan deploy/`) does not report every client of that model in the repository."""
    if finding.path in given:
        return True
    named_here = any(r.label == "model" and r.path == finding.path for r in finding.related)
    return any(r.path in given for r in finding.related if not (named_here and r.label == "launch"))


def top_level_names(text: str) -> set[str]:
    """Every name a top-level assignment may bind (more, never fewer: see `_ASSIGNED`)."""
    return {name for chain in _ASSIGNED.findall(text) for name in _NAME.findall(chain)}


def narrow(project: Project, given: frozenset[str]) -> Project:
    """The part of a linked project whose judgment may touch a given file: the requests and launches one of
    whose places (any `Location` held in the use: its own, its model's, the launches it reaches and theirs)
    lies in a given file, and every use at the same place as one of those (the rules keep the first finding
    per place and model). Exact for what is reported, because a rule builds a finding from one use and cites
    only that use's places; not for the fix planner, which weighs suppressed findings anywhere in a fix's
    group (`vlint.api` judges the whole project again when a finding is reported)."""
    places = _Places(given)
    sites = {_site(u) for u in (*project.requests, *project.serves) if places.touch(u)}
    return type(project)(tuple(u for u in project.requests if _site(u) in sites),
                         tuple(u for u in project.serves if _site(u) in sites))


def prepare_narrow() -> None:
    """Read the declared types `narrow` looks through (~3 ms), ahead: while a worker extracts."""
    from vlint.link import Project

    todo: list[object] = [Project]
    done: set[object] = set()
    while todo:
        kind = todo.pop()
        if kind in done:
            continue
        done.add(kind)
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            _fields(kind)
            todo.extend((_hints(kind) or {}).values())
        else:
            todo.extend(typing.get_args(kind))


def _site(use: LinkedRequest | LinkedServe) -> tuple[str, int, int]:
    location = use.request.location if hasattr(use, "request") else use.serve.location  # type: ignore[union-attr]
    return location.path, location.line, location.column


@dataclasses.dataclass
class _Places:
    """Whether an object holds a `Location` in a given file, found through its dataclass fields, tuples and
    lists (generic, so a field added to the facts is seen unread); launches, shared by many requests, are
    looked at once."""

    given: frozenset[str]
    seen: dict[int, bool] = dataclasses.field(default_factory=dict)

    def touch(self, value: object) -> bool:
        kind = type(value)
        if kind in _PLAIN:
            return False
        if kind is Location:
            return value.path in self.given  # type: ignore[attr-defined]
        if kind is tuple or kind is list:
            return any(self.touch(v) for v in value)  # type: ignore[attr-defined]
        names = _fields(kind)
        if not names:
            return False
        known = self.seen.get(id(value))
        if known is None:
            known = self.seen[id(value)] = any(self.touch(getattr(value, name)) for name in names)
        return known


_PLAIN = frozenset({str, int, float, bool, type(None), bytes})


@functools.cache
def _fields(cls: type) -> tuple[str, ...]:
    """The fields of a dataclass whose declared type may hold a `Location` (none for any other type): a
    `str`, a number or a `tuple[str, ...]` field is never looked into. A field whose type cannot be read
    is looked into, so a field added later is seen unread."""
    if not dataclasses.is_dataclass(cls):
        return ()
    hints = _hints(cls)
    names = tuple(f.name for f in dataclasses.fields(cls))
    if hints is None:
        return names
    return tuple(name for name in names if _may_hold_location(hints.get(name, object), frozenset({cls})))


def _hints(cls: type) -> dict[str, object] | None:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - a name only imported for type checkers: every field may hold one
        return None


def _may_hold_location(kind: object, seen: frozenset[type]) -> bool:
    if kind is Location:
        return True
    if kind in _PLAIN:
        return False
    origin = typing.get_origin(kind)
    if origin is typing.Literal:
        return False
    if origin is not None:  # a union, tuple, list or mapping: what it may hold
        return any(_may_hold_location(arg, seen) for arg in typing.get_args(kind) if arg is not Ellipsis)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if kind in seen:
            return False  # a cycle: the class's other fields decide
        hints = _hints(kind)
        return hints is None or any(_may_hold_location(hints.get(f.name, object), seen | {kind})
                                    for f in dataclasses.fields(kind))
    return True  # Any, object, a type it cannot tell: it may


def _text(source: SourceFile, max_size: int) -> str | None:
    from vlint.extract.perfile import read_file

    return read_file(source.location, source.display, max_size)[1]


@dataclasses.dataclass
class Prefetched:
    """The project's files in walk order, and the facts the cache vouches for, by display path."""

    rest: list[SourceFile]
    facts: dict[str, tuple[FileFacts, str | None]]


def prefetch(root: Path, cwd: Path, config: Config, cache: ProjectCache) -> Prefetched:
    """Walk the project and decode what the cache vouches for: this process's work while a worker parses the
    given files (a pre-commit run on a changed file), which the run would otherwise do after that parse."""
    from vlint.discover import discover
    from vlint.extract.runner import stored_facts

    rest = discover([root], excluded=config.all_excludes, cwd=cwd, errors=[], memo=cache.memo)
    return Prefetched(rest, stored_facts(rest, cache.store, cache.manifest))


@dataclasses.dataclass
class ProjectRun:
    """The rest of the project, read for a run on the given files: `given` are their display paths."""

    root: Path
    given: frozenset[str]
    cwd: Path
    config: Config
    cache: ProjectCache | None
    prefetched: Prefetched | None = None

    def facts(self, given_facts: list[FileFacts], given_sources: Sequence[SourceFile],
              suppressions: SuppressionIndex, while_waiting: Callable[[], object] | None = None,
              ) -> tuple[list[FileFacts], str | None] | None:
        """Every file's facts in the project's order, the given files' own in their places, and a note when
        reading the rest took long; None when the given files need nothing of the project (see the module's
        docstring)."""
        import time

        from vlint.extract.runner import extract_all

        if any(says_something(f) for f in given_facts):
            rest = self._rest()
        else:
            found = self._rest_if_a_constant_is_read(given_sources)
            if found is None:
                return None
            rest = found
        cold = self._first_run()
        started = time.perf_counter()
        store, manifest = (self.cache.store, self.cache.manifest) if self.cache is not None else (None, None)
        by_display = {f.path: f for f in given_facts}
        ready = self.prefetched.facts if self.prefetched is not None else {}
        others = [s for s in rest if s.display not in self.given and s.display not in ready]
        found = iter(list(extract_all(others, self.config, store=store, manifest=manifest,
                                      while_waiting=while_waiting)))
        ordered: list[FileFacts] = []
        for source in rest:
            if source.display in self.given:
                if source.display in by_display:
                    ordered.append(by_display.pop(source.display))
                continue
            facts, text = ready[source.display] if source.display in ready else next(found)
            if text is not None:
                suppressions.add_file(facts.path, text)
            if not facts.says_nothing:  # (a file of errors only is kept too: harmless, and a cheap test)
                ordered.append(facts)
        ordered.extend(by_display.values())  # given files the project's walk leaves out (ignored, outside)
        spent = time.perf_counter() - started
        return ordered, (self._note(len(rest), spent) if cold and spent > COLD_NOTE_S else None)

    def _first_run(self) -> bool:
        """Whether no earlier run built this project's facts (from this working folder): marked in the store
        rather than read off the stamps, which a file changed within the last two seconds never gets."""
        if self.cache is None:
            return True
        scope = self.cache.manifest.scope
        if self.cache.store.blob(BUILT, scope) is not None:
            return False
        self.cache.store.put_blob(BUILT, scope, "true")  # written first: a run stopped halfway is not cold again
        return True

    def _rest(self) -> list[SourceFile]:
        """The project's files in walk order (the given ones among them: they keep their places)."""
        from vlint.discover import discover

        if self.prefetched is not None:
            return self.prefetched.rest
        memo = self.cache.memo if self.cache is not None else None
        return discover([self.root], excluded=self.config.all_excludes, cwd=self.cwd, errors=[], memo=memo)

    def _rest_if_a_constant_is_read(self, given_sources: Sequence[SourceFile]) -> list[SourceFile] | None:
        """The project's files when another file may read a module constant of a given Python file, else None.
        Cheapest first: a given file that assigns no name at its top level has no constant (no walk); then
        the names the project's stored facts may read (a `stat` a file, one query); a given file is parsed
        only when it assigns one of those (parsing a 5,000-line module costs ~0.1 s)."""
        texts = [text for source in given_sources if source.kind == "python" and source.display in self.given
                 if (text := _text(source, self.config.max_file_size))]
        assigned = {name for text in texts for name in top_level_names(text)}
        if not assigned:
            return None
        rest = self._rest()
        named = self._names_read(rest)
        if named is not None and not assigned & named:
            return None
        from vlint.extract.python.constants import module_constants

        constants = {name for text in texts for name in module_constants(text)}
        return rest if constants and (named is None or constants & named) else None

    def _names_read(self, rest: Sequence[SourceFile]) -> set[str] | None:
        """A superset of the module constants the other files' stored facts read, or None when that cannot
        be told without reading the project (no cache, or a file changed since it was stored). A constant is
        read through a fact's `symbol`, `module:NAME`, so every `:NAME"` in a stored entry's text counts."""
        if self.cache is None:
            return None
        from vlint.extract.runner import stored_entries

        others = [s for s in rest if s.display not in self.given]
        entries = stored_entries(others, self.cache.store, self.cache.manifest)
        if entries is None:
            return None
        return {name for entry in entries for name in _READ.findall(entry)}

    def _note(self, files: int, spent: float) -> str:
        """One line for a slow first run: why it was slow, and that the next ones will not be."""
        where = Path(os.path.relpath(self.root, self.cwd)).as_posix()
        told = f"read the whole project once to link the given files ({files} files under {where}, {spent:.1f} s)"
        if self.cache is None:
            return f"{told}; without a cache every run does (--isolated reads only the given files)"
        return f"{told}; the next runs use the cache"
