"""Which files to read, and what kind each one is.

A walk honours `.gitignore` files (at every level, as git does, and those between the repository top and
the scanned folder), includes hidden folders such as `.github/`, and never enters `.git`, virtual
environments, `node_modules` or caches. It never follows symlinked folders, so a link loop cannot hang it.
Explicitly named files are always read, unless the configuration excludes them (pre-commit passes file
names one by one).

The scanned tree is untrusted: a symlinked file whose real path lies outside the project (the repository
top holding `.git`, else the scanned folder; for a named file, the working folder or the file's own
folder) is not read but reported as an error entry (a planted `s.env -> /etc/shadow`), and a named path
that is not a regular file (a FIFO, a socket, a device) is an error entry, never a read that blocks.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from vlint.kinds import kind_of_name, suffix_of

if TYPE_CHECKING:
    from vlint.cache.walkmemo import Trail, WalkMemo

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".tox", ".nox", ".venv", "venv", ".venv-vllm", "site-packages", ".eggs", ".hypothesis", ".ipynb_checkpoints",
})

GITIGNORE_MAX_CHARS = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    location: str       # as opened (a string: a walk of 100k files need not build 100k Path objects)
    display: str        # relative to the working directory when possible, `/`-separated
    kind: str

    @property
    def path(self) -> Path:
        return Path(self.location)


def kind_of(path: Path, head: bytes | None = None) -> str | None:
    """The extractor kind for a file name (and, for extension-less scripts, its shebang)."""
    return kind_of_name(path.name, head)


def display_path(path: Path | str, cwd: Path) -> str:
    text, base = os.fspath(path), os.fspath(cwd)
    if text.startswith(base) and text[len(base):len(base) + 1] == os.sep and ".." not in text:
        return text[len(base) + 1:].replace(os.sep, "/")  # the walk's common case, without pathlib
    if os.path.normpath(text) == os.path.normpath(base):
        return os.path.basename(text)
    folder, name = os.path.split(text)
    rel = _relative_folder(folder, base)
    if rel is None:
        return str(path)  # another drive on Windows
    return f"{rel}/{name}" if rel else name


def display_name(name: str, cwd: Path) -> str:
    """A file named by the user (`--stdin-filename`) as a walk shows that file: relative to the working folder,
    `/`-separated, so the text from stdin takes that file's place in its project."""
    return display_path(os.path.abspath(os.path.join(cwd, name)), cwd)


@lru_cache(maxsize=4096)
def _relative_folder(folder: str, base: str) -> str | None:
    """A folder relative to the working directory, '/'-separated ("" for the directory itself): one
    `relpath` a folder, not one a file, for scans of a tree outside the working directory."""
    try:
        rel = os.path.relpath(folder, base)
    except ValueError:
        return None
    return "" if rel == "." else PurePosixPath(*Path(rel).parts).as_posix()


class _GitIgnore:
    """The .gitignore rules that apply under one folder, stacked as the walk descends."""

    def __init__(self, trail: Trail | None = None) -> None:
        self._stack: list[tuple[str, object, _Prefilter | None]] = []
        self.trail = trail

    def push(self, folder: Path | str) -> bool:
        ignore_file = os.path.join(folder, ".gitignore")
        if not os.path.isfile(ignore_file):
            return False
        if self.trail is not None:
            self.trail.note(ignore_file)
        import pathspec

        try:
            with open(ignore_file, encoding="utf-8", errors="replace") as fh:
                lines = fh.read(GITIGNORE_MAX_CHARS).splitlines()  # a planted giant (or a link to one) is cut
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except (OSError, ValueError):
            return False
        self._stack.append((os.fspath(folder), spec, _any_pattern(spec)))
        return True

    def pop(self) -> None:
        self._stack.pop()

    def ignored(self, path: Path | str, is_dir: bool) -> bool:
        result = False
        path = os.fspath(path)
        for folder, spec, any_pattern in self._stack:
            if not path.startswith(folder) or path[len(folder):len(folder) + 1] not in (os.sep, "/"):
                continue
            rel = path[len(folder) + 1:].replace(os.sep, "/")
            if is_dir:
                rel += "/"
            if any_pattern is not None and not any_pattern.may_match(rel):
                continue  # no pattern of this file matches: it has no say (most paths, in one C call)
            verdict = spec.check_file(rel)  # type: ignore[attr-defined]
            if verdict.include is not None:
                result = bool(verdict.include)
        return result


_ANYWHERE = "^(?:.+/)?"  # how pathspec starts a pattern without a slash: at the top or after any folder
_TAILS = ("(?:(?:/)|$)", "(?:/)")  # ... and ends it: a name, or a folder's name


class _Prefilter:
    """Whether any of a spec's patterns could match a path, in a few C calls (pathspec tries them one by
    one in Python: 2 s of a 3,000-file walk with a 120-line .gitignore). A pattern without a slash,
    `^(?:.+/)?NAME(/|$)`, matches a path exactly when it matches one of its names (with the `/` that
    follows a folder's name), so those are tried name by name with the answers remembered (names repeat:
    `tests`, `__init__.py`); the others as one expression over the whole path. A regex that tries every
    split of the path for each pattern in turn was a third of a warm scan's walk of vLLM."""

    def __init__(self, sources: list[str]) -> None:
        unnamed = [re.sub(r"\(\?P<[^>]+>", "(?:", src) for src in sources]
        names, paths = [], []
        for src in unnamed:
            rest = src[len(_ANYWHERE):] if src.startswith(_ANYWHERE) else None
            tail = next((t for t in _TAILS if rest is not None and rest.endswith(t)), None)
            if rest is not None and tail is not None and "/" not in rest[:-len(tail)].replace("[^/]", ""):
                names.append(rest)
            else:
                paths.append(src if src.startswith("^") else f"^(?:{src})")
        self.names = re.compile("|".join(f"(?:{n})" for n in names)) if names else None
        self.paths = re.compile("|".join(f"(?:{p})" for p in paths)) if paths else None
        self.seen: dict[str, bool] = {}

    def may_match(self, rel: str) -> bool:
        if self.paths is not None and self.paths.match(rel):
            return True
        if self.names is None:
            return False
        seen, names = self.seen, self.names
        parts = rel.split("/")
        last = len(parts) - 1
        for index, part in enumerate(parts):
            if not part:
                continue
            name = part if index == last else part + "/"
            found = seen.get(name)
            if found is None:
                found = seen[name] = names.match(name) is not None
            if found:
                return True
        return False


def _any_pattern(spec: object) -> _Prefilter | None:
    """The prefilter of a spec's patterns; None when it cannot be built (every path then goes to pathspec)."""
    try:
        return _Prefilter([p.regex.pattern for p in spec.patterns  # type: ignore[attr-defined]
                           if p.include is not None and p.regex is not None])
    except (AttributeError, TypeError, re.error):
        return None


def _head(path: str) -> tuple[bytes | None, str | None]:
    """The first bytes of a file (its shebang decides an extension-less file's kind), or why not. Opened
    non-blocking: a FIFO in the tree never stalls the walk."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return None, exc.strerror or str(exc)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None, "not a regular file"
        return os.read(fd, 128), None
    except OSError as exc:
        return None, exc.strerror or str(exc)
    finally:
        os.close(fd)


def repository_top(folder: str) -> str | None:
    """The nearest folder holding `.git`, at or above `folder` (an absolute path)."""
    current = folder
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


OUTSIDE = "not read: a symlink to a file outside the project"


def _inside(real: str, boundary: str) -> bool:
    return real == boundary or real.startswith(boundary.rstrip(os.sep) + os.sep)


def walk(root: Path, errors: list[tuple[str, str]], cwd: Path, trail: Trail | None = None) -> Iterator[str]:
    ignores = _GitIgnore(trail)
    resolved = Path(os.path.abspath(root))
    top = repository_top(str(resolved))
    # .gitignore files between the repository top and the root still apply (a scan of a subfolder).
    above = [] if top == str(resolved) else list(resolved.parents)
    if top is not None and above:
        above = above[:[str(f) for f in above].index(top) + 1]
    if trail is not None:
        # what decides which .gitignore files apply: no nearer `.git` above the root (none at all when there
        # is no repository), and each .gitignore up to the top (one that appears there changes the answer)
        for folder in above:
            if str(folder) != top:
                trail.note(os.path.join(folder, ".git"))
            if top is not None:
                trail.note(os.path.join(folder, ".gitignore"))
    if top is not None:
        for folder in reversed(above):
            ignores.push(folder)
    boundary = os.path.realpath(top or resolved)
    yield from _walk(resolved, ignores, errors, cwd, boundary)


def _walk(folder: Path | str, ignores: _GitIgnore, errors: list[tuple[str, str]], cwd: Path,
          boundary: str) -> Iterator[str]:
    # Strings, not pathlib, for every entry: a Path per file and folder was half of a 10k-file walk.
    trail = ignores.trail
    if trail is not None:
        trail.note(os.fspath(folder))
    pushed = ignores.push(folder)
    try:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            errors.append((display_path(Path(folder), cwd), f"cannot list folder: {exc.strerror or exc}"))
            return
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in SKIP_DIRS or ignores.ignored(entry.path, True):
                        continue
                    if os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):  # a virtual environment
                        if trail is not None:
                            trail.note(entry.path)
                        continue
                    yield from _walk(entry.path, ignores, errors, cwd, boundary)
                    continue
                link = entry.is_symlink()
                if link and trail is not None:
                    trail.note_link(entry.path)  # a dangling link's target may appear, a link may move
                if entry.is_file(follow_symlinks=True) and not ignores.ignored(entry.path, False):
                    if link and not _inside(os.path.realpath(entry.path), boundary):
                        errors.append((display_path(entry.path, cwd), OUTSIDE))
                        continue
                    yield entry.path
            except OSError as exc:
                errors.append((display_path(Path(entry.path), cwd), f"cannot read: {exc.strerror or exc}"))
    finally:
        if pushed:
            ignores.pop()


def discover(paths: Sequence[str | Path], *, excluded: Iterable[str] = (), cwd: Path | None = None,
             errors: list[tuple[str, str]] | None = None, memo: WalkMemo | None = None) -> list[SourceFile]:
    """The files to scan, each with its kind; unknown kinds in a walk are skipped silently.

    `memo`: remembered walks (`vlint/cache/walkmemo.py`); a walk of folders takes the remembered answer
    when nothing it depended on changed."""
    cwd = Path(os.path.abspath(cwd or Path.cwd()))
    errors = errors if errors is not None else []
    excluded = list(excluded)
    scope = None
    if memo is not None and paths and all(os.path.isdir(p) for p in paths):
        from vlint import __version__
        from vlint.cache.walkmemo import scope_of

        scope = scope_of(__version__, sorted(SKIP_DIRS), [os.path.abspath(p) for p in paths], excluded, str(cwd))
        found = memo.recall(scope)
        if found is not None:
            errors.extend(found[1])
            return [SourceFile(*item) for item in found[0]]
    trail = None
    if scope is not None:
        from vlint.cache.walkmemo import Trail

        trail = Trail()
    started = time.time_ns()
    mark = len(errors)
    out = _discover(paths, excluded, cwd, errors, trail)
    if memo is not None and scope is not None and trail is not None:
        memo.remember(scope, started, trail, [(s.location, s.display, s.kind) for s in out], errors[mark:])
    return out


def _explicit(path: Path, cwd: Path, errors: list[tuple[str, str]]) -> bool:
    """Whether a named file may be read: a regular file, and not a symlink to a file outside the project.
    If not, why is in `errors`."""
    display = display_path(path, cwd)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        errors.append((display, "no such file or directory"))
        return False
    except OSError as exc:
        errors.append((display, f"cannot read: {exc.strerror or exc}"))
        return False
    if not stat.S_ISREG(st.st_mode):
        errors.append((display, "not read: not a regular file"))
        return False
    real, text = os.path.realpath(path), os.fspath(path)
    if real != text:
        folder = os.path.dirname(text)
        top = repository_top(folder) or (str(cwd) if _inside(text, str(cwd)) else folder)
        if not _inside(real, os.path.realpath(top)):
            errors.append((display, OUTSIDE))
            return False
    return True


def _discover(paths: Sequence[str | Path], excluded: list[str], cwd: Path, errors: list[tuple[str, str]],
              trail: Trail | None) -> list[SourceFile]:
    from fnmatch import translate
    patterns = [p.rstrip("/") for p in excluded]
    # fnmatch semantics, compiled once: the whole path, a folder it is under, or any one of its parts
    whole = re.compile("|".join(f"(?:{translate(p)})|(?:{translate(p + '/*')})" for p in patterns)) if patterns else None
    part = re.compile("|".join(f"(?:{translate(p)})" for p in patterns)) if patterns else None

    def is_excluded(display: str) -> bool:
        if whole is None or part is None:
            return False
        if whole.match(display):
            return True
        return any(part.match(piece) for piece in PurePosixPath(display).parts)

    out: list[SourceFile] = []
    seen: set[str] = set()
    for raw in paths:
        path = Path(os.path.abspath(raw))
        if path.is_dir():
            candidates: Iterable[str] = walk(path, errors, cwd, trail)
            explicit = False
        else:
            display = display_path(path, cwd)
            if display in seen or is_excluded(display) or not _explicit(path, cwd, errors):
                continue
            candidates = [str(path)]
            explicit = True
        for candidate in candidates:
            display = display_path(candidate, cwd)
            if display in seen or is_excluded(display):
                continue
            name = os.path.basename(candidate)
            if suffix_of(name) == "":
                if trail is not None:
                    trail.note(candidate)
                head, problem = _head(candidate)
                if problem is not None and explicit:
                    errors.append((display, f"cannot read: {problem}"))
                kind = kind_of_name(name, head)
            else:
                kind = kind_of_name(name)
            if kind is None:
                continue  # pre-commit may pass files vlint has no extractor for
            seen.add(display)
            out.append(SourceFile(candidate, display, kind))
    return out
