"""Where vlint keeps its state: one folder per user, outside every scanned tree, that nothing else may steer.

The user folder is `$VLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/vlint`, else `~/.cache/vlint`. Below it vlint
creates every level itself (`projects/<hash>/`, `data/`, `hub/`), one `mkdir` at a time, and accepts an
existing level only if `lstat` shows a real folder of this user that others cannot write: a symlinked
level (planted, or left by someone else) is never followed, and its cache is simply not used. Each folder
vlint creates holds a `CACHEDIR.TAG` (the Cache Directory Tagging convention, which backup tools honour);
`vlint cache clear` removes only folders that hold one, and never through a symlink.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

MARKER = "CACHEDIR.TAG"
MARKER_TEXT = ("Signature: 8a477f597d28d172789f06886806bc55\n"
               "# A cache folder created by vlint; `vlint cache clear` removes it.\n")
PROJECTS = "projects"


def user_base() -> tuple[Path, tuple[str, ...]]:
    """The folder the user chose (or the platform's cache folder) and the levels below it that are vlint's.

    Read at call time. `$VLINT_CACHE_DIR` is vlint's own folder as given (it may be a symlink: the user
    set it); with the XDG or home default, the `vlint` level is vlint's and must be a real folder."""
    explicit = os.environ.get("VLINT_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser(), ()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache"), ("vlint",)


def cache_dir() -> Path:
    """vlint's user cache folder (not created here)."""
    base, own = user_base()
    return base.joinpath(*own)


def trusted_location() -> bool:
    """Whether vlint's cache folder may be used at all: not inside the working folder, nor inside any git
    work tree (CI that sets `XDG_CACHE_HOME=$PWD/.cache` puts it in the checkout, where a repository can
    plant entries under names it can compute). A cache that is not used is only slower."""
    real = os.path.realpath(cache_dir())
    home = os.path.realpath(Path.home())
    # Holding the home folder does not make a folder suspect (`cd ~ && vlint scan proj/`, a dotfiles
    # repository at ~): a scan of the home folder itself is refused by `project_folder`.
    cwd = os.path.realpath(Path.cwd())
    if inside(Path(real), [Path(cwd)]) and not _holds(cwd, home):
        return False
    return not _in_work_tree(real, home)


def _holds(folder: str, path: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@lru_cache(maxsize=8)
def _in_work_tree(real: str, home: str) -> bool:
    from vlint.discover import repository_top

    top = repository_top(real)
    return top is not None and not _holds(os.path.realpath(top), home)


def owned_folder(path: Path) -> bool:
    """True for a real folder (not a symlink) of this user that other users cannot write."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_mode & stat.S_IWOTH:
        return False
    return not hasattr(os, "geteuid") or st.st_uid == os.geteuid()


def ensure_folder(*parts: str, mark: bool = False) -> Path | None:
    """`cache_dir()/parts...`, created level by level (0700); None when a level is a symlink, not a folder,
    not this user's, or cannot be made (a cache that cannot be kept safely is skipped). vlint's top folder
    gets the marker, and the last level too with `mark`."""
    if not trusted_location():
        return None
    base, own = user_base()
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not base.is_dir():
        return None
    path = base
    for name in (*own, *parts):
        path = path / name
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
        if not owned_folder(path):
            return None
    _mark(base.joinpath(*own))
    if mark and parts:
        _mark(path)
    return path


def ensure_path(folder: Path) -> Path | None:
    """`folder` made ready for writing: by `ensure_folder` when it lies in vlint's cache folder, else (a
    folder the caller chose) created if needed and accepted only as a real folder, never a symlink."""
    base = cache_dir()
    try:
        parts = folder.relative_to(base).parts
    except ValueError:
        parts = None
    if parts is not None and ".." not in parts:
        return ensure_folder(*parts)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if owned_folder(folder) else None


def _mark(folder: Path) -> None:
    marker = folder / MARKER
    if not os.path.lexists(marker):
        write_atomically(marker, MARKER_TEXT.encode())


def write_atomically(path: Path, data: bytes, suffix: str = "") -> bool:
    """Write to a temporary name in the same folder, then move into place: concurrent runs never see half a
    file nor lose each other's writes, and a symlink planted at `path` is replaced, not followed. The folder
    must exist. Failure (full disk, read-only home) is not an error: that cache entry is skipped."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return True
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        return False


def inside(path: Path, folders: Iterable[Path]) -> bool:
    """Whether `path` (resolved) is one of `folders` (resolved) or lies below one."""
    real = os.path.realpath(path)
    for folder in folders:
        top = os.path.realpath(folder)
        if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False


def project_name(root: Path) -> str:
    """The folder name of a project's cache: a hash of the project root's real path."""
    return hashlib.sha256(os.fsencode(os.path.realpath(root))).hexdigest()[:32]


def project_folder(root: Path, scanned: Iterable[Path] = ()) -> Path | None:
    """The cache folder of the project at `root`, created if needed; None (no cache) when it cannot be made
    safely, or when vlint's cache folder lies inside the project or a scanned folder (`XDG_CACHE_HOME` set
    to the checkout, or a scan of the home folder): state the scanned tree can write is never read."""
    if inside(cache_dir(), [root, *scanned]):
        return None
    folder = ensure_folder(PROJECTS, project_name(root), mark=True)
    if folder is not None:
        _touch_daily(folder / MARKER)
    return folder


DAY_S = 24 * 3600


def _touch_daily(marker: Path) -> None:
    """The marker's time says when the project was last scanned (for `sweep_projects`); refreshed once a day."""
    try:
        if time.time() - os.lstat(marker).st_mtime > DAY_S:
            os.utime(marker, follow_symlinks=False)
    except (OSError, NotImplementedError):
        pass


def remove_marked(folder: Path) -> int:
    """Delete a folder vlint created (it holds the marker; neither it nor the marker is a symlink), with
    everything in it; how many files went. `shutil.rmtree` does not follow symlinks found inside."""
    if not owned_folder(folder) or not os.path.isfile(folder / MARKER) or os.path.islink(folder / MARKER):
        return 0
    import shutil

    count = sum(len(files) for _, _, files in os.walk(folder)) - 1
    shutil.rmtree(folder, ignore_errors=True)
    return max(count, 0)


PROJECT_MAX_AGE_S = 30 * DAY_S


def sweep_projects(now: float | None = None) -> int:
    """Remove the caches of projects not scanned for `PROJECT_MAX_AGE_S` (a CI checkout in a temporary path
    is never scanned again); at most once a day per user. Returns how many project folders went."""
    folder = ensure_folder(PROJECTS)
    if folder is None:
        return 0
    now = time.time() if now is None else now
    stamp = folder / ".last-sweep"
    try:
        if now - os.lstat(stamp).st_mtime < DAY_S:
            return 0
    except OSError:
        pass
    write_atomically(stamp, b"")
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        try:
            age = now - os.lstat(os.path.join(entry.path, MARKER)).st_mtime
        except OSError:
            continue
        if age > PROJECT_MAX_AGE_S and remove_marked(Path(entry.path)):
            removed += 1
    return removed
