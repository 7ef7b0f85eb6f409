"""One project's cache: a SQLite file of JSON texts, each with its checksum.

SQLite because it is in the standard library, keeps a whole project's cache in one file, lets concurrent
runs read while one writes (write-ahead log) and makes eviction a `DELETE`. Nothing in it is code: rows
are text and integers, facts are JSON decoded by the strict codec. Every row carries a BLAKE2 checksum of
its key and content, checked when it is read; a row that fails it, or a file SQLite finds damaged, is a
miss (the file is removed and rebuilt), never an error and never a wrong finding.

Tables: `facts` (a file's facts by content key) and `blobs` (one JSON text per kind and scan scope: the
stamps of `vlint/cache/manifest.py`, the remembered walks of `vlint/cache/walkmemo.py`).

Eviction (once a day per project): facts and blobs not used for 30 days, and the least recently used facts
beyond 256 MB of text. `vlint/cache/folders.py` removes whole projects not scanned for 30 days.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

DB_NAME = "cache.sqlite3"
SCHEMA = "vlint-cache 2"
DAY_S = 24 * 3600
MAX_AGE_S = 30 * DAY_S
MAX_FACT_BYTES = 256 << 20

_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, payload TEXT NOT NULL, digest TEXT NOT NULL,"
    " used INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS blobs (kind TEXT NOT NULL, scope TEXT NOT NULL, payload TEXT NOT NULL,"
    " digest TEXT NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (kind, scope))",
)


def digest(*parts: object) -> str:
    """The checksum of a row: BLAKE2b-128 of its fields (it detects damage; nobody else writes here)."""
    joined = "\0".join(map(str, parts)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(joined, digest_size=16).hexdigest()


class Store:
    """The open cache of one project. Every method swallows SQLite errors: a cache that fails is a miss."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = conn
        self.damaged = False
        self._touched: list[str] = []
        self._touched_blobs: list[tuple[str, str]] = []

    @classmethod
    def open(cls, folder: Path) -> Store | None:
        """The project's cache in `folder` (a folder `folders.project_folder` vouched for); None if unusable."""
        try:
            import sqlite3
        except ImportError:  # a Python built without it: no cache, no error
            return None

        path = folder / DB_NAME
        for attempt in (1, 2):
            try:
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode):
                    return None  # never a symlink or anything else planted in its place
            except FileNotFoundError:
                pass
            except OSError:
                return None
            try:
                conn = _connect(path)
                return cls(path, conn)
            except sqlite3.Error as exc:
                if attempt == 2 or not _is_damage(exc) or not _remove_database(path):
                    return None  # busy past the timeout, or unwritable: no cache this run
        return None

    # ---- facts --------------------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        """The facts text stored under `key`, if present and intact."""
        return self.get_many([key]).get(key)

    def get_many(self, keys: list[str]) -> dict[str, str]:
        """The intact facts texts stored under any of `keys` (one query per 500 keys: a warm run loads a
        few hundred entries)."""
        found: dict[str, str] = {}
        stale = time.time() - DAY_S
        for start in range(0, len(keys), 500):
            batch = keys[start:start + 500]
            rows = self._all(f"SELECT key, payload, digest, used FROM facts WHERE key IN ({','.join('?' * len(batch))})",
                             tuple(batch))
            for key, payload, check, used in rows:
                if not isinstance(key, str) or not isinstance(payload, str) or check != digest(key, payload):
                    self.damaged = True
                    continue
                if isinstance(used, int) and used < stale:
                    self._touched.append(key)
                found[key] = payload
        return found

    def put_facts(self, items: Iterable[tuple[str, str]]) -> None:
        now = int(time.time())
        self._write("INSERT OR REPLACE INTO facts (key, payload, digest, used) VALUES (?, ?, ?, ?)",
                    [(key, payload, digest(key, payload), now) for key, payload in items])

    # ---- blobs: stamps and remembered walks, one JSON text per kind and scope ---------------------------

    def blob(self, kind: str, scope: str) -> str | None:
        row = self._one("SELECT payload, digest, used FROM blobs WHERE kind = ? AND scope = ?", (kind, scope))
        if row is None:
            return None
        payload, check, used = row
        if not isinstance(payload, str) or check != digest(kind, scope, payload):
            self.damaged = True
            return None
        if isinstance(used, int) and time.time() - used > DAY_S:
            self._touched_blobs.append((kind, scope))
        return payload

    def put_blob(self, kind: str, scope: str, payload: str) -> None:
        self._write("INSERT OR REPLACE INTO blobs (kind, scope, payload, digest, used) VALUES (?, ?, ?, ?, ?)",
                    [(kind, scope, payload, digest(kind, scope, payload), int(time.time()))])

    def update_blob(self, kind: str, scope: str, change: Callable[[str | None], str]) -> None:
        """Replace a blob by `change(what is stored now)` in one transaction: two runs that finish at once
        each add what they learnt to what the other wrote."""

        def body(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT payload, digest FROM blobs WHERE kind = ? AND scope = ?",
                               (kind, scope)).fetchone()
            intact = row is not None and isinstance(row[0], str) and row[1] == digest(kind, scope, row[0])
            payload = change(row[0] if intact else None)
            conn.execute("INSERT OR REPLACE INTO blobs (kind, scope, payload, digest, used) VALUES (?, ?, ?, ?, ?)",
                         (kind, scope, payload, digest(kind, scope, payload), int(time.time())))

        self._transaction(body)

    # ---- upkeep -------------------------------------------------------------------------------------

    def close(self) -> None:
        """Renew the use time of old facts that were read, evict once a day, and close. A damaged file is
        removed, so the next run starts a fresh one."""
        if self.conn is None:
            return
        now = int(time.time())
        self._write("UPDATE facts SET used = ? WHERE key = ?", [(now, k) for k in self._touched])
        self._write("UPDATE blobs SET used = ? WHERE kind = ? AND scope = ?",
                    [(now, kind, scope) for kind, scope in self._touched_blobs])
        if not self.damaged:
            self._evict_daily()
        conn, self.conn = self.conn, None
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - sqlite3.Error, or worse from a damaged file: nothing to keep
            pass
        if self.damaged:
            _remove_database(self.path)

    def _evict_daily(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        last = self._one("SELECT value FROM meta WHERE name = 'evicted'", ())
        try:
            if last is not None and now - float(last[0]) < DAY_S:
                return
        except (TypeError, ValueError):
            pass
        self.evict(now)

    def evict(self, now: float) -> None:
        cutoff = int(now - MAX_AGE_S)
        self._write("DELETE FROM facts WHERE used < ?", [(cutoff,)])
        self._write("DELETE FROM blobs WHERE used < ?", [(cutoff,)])
        sizes = self._all("SELECT key, LENGTH(payload) FROM facts ORDER BY used DESC", ())
        total, drop = 0, []
        for key, size in sizes:
            total += size if isinstance(size, int) else 0
            if total > MAX_FACT_BYTES:
                drop.append((key,))
        self._write("DELETE FROM facts WHERE key = ?", drop)
        self._write("INSERT OR REPLACE INTO meta (name, value) VALUES ('evicted', ?)", [(str(now),)])
        self._write("PRAGMA incremental_vacuum", [])

    # ---- SQLite, failures contained -----------------------------------------------------------------

    def _one(self, sql: str, args: tuple) -> tuple | None:
        rows = self._all(sql, args, limit=1)
        return rows[0] if rows else None

    def _all(self, sql: str, args: tuple, limit: int | None = None) -> list[tuple]:
        if self.conn is None or self.damaged:
            return []
        try:
            cursor = self.conn.execute(sql, args)
            return cursor.fetchmany(limit) if limit else cursor.fetchall()
        except Exception as exc:  # noqa: BLE001 - sqlite3.Error, or MemoryError from a mangled length
            self.damaged = self.damaged or _is_damage(exc)
            return []

    def _write(self, sql: str, rows: list[tuple]) -> None:
        """One statement for each of `rows` (or once, without parameters), in one transaction."""
        if not rows and "?" in sql:
            return
        self._transaction(lambda conn: conn.executemany(sql, rows) if rows else conn.execute(sql))

    def _transaction(self, body: Callable[[sqlite3.Connection], object]) -> None:
        """Run `body` in a write transaction; a busy or read-only database just keeps nothing this time."""
        if self.conn is None or self.damaged:
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                body(self.conn)
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        except Exception as exc:  # noqa: BLE001 - locked past the timeout, disk full, read-only, damaged
            self.damaged = self.damaged or _is_damage(exc)


def _connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) with the current schema; a file with another schema is emptied first."""
    import sqlite3

    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA synchronous = NORMAL")
        found = _schema(conn)
        if found != SCHEMA:
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # effective on a new file only
            conn.execute("PRAGMA journal_mode = WAL")  # kept in the file
            conn.execute("BEGIN IMMEDIATE")
            if _schema(conn) != SCHEMA:  # another run may have just done it
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                    conn.execute(f'DROP TABLE IF EXISTS "{name}"')
                for sql in _TABLES:
                    conn.execute(sql)
                conn.execute("INSERT INTO meta (name, value) VALUES ('schema', ?)", (SCHEMA,))
            conn.execute("COMMIT")
    except BaseException:
        conn.close()
        raise
    return conn


_DAMAGE_CODES = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB


def _is_damage(exc: BaseException) -> bool:
    """A damaged file (to remove and rebuild), as opposed to a busy or unwritable one (to leave alone)."""
    import sqlite3

    if not isinstance(exc, sqlite3.Error):
        return True  # MemoryError, OverflowError: what a mangled record can provoke
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF in _DAMAGE_CODES
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


def _schema(conn: sqlite3.Connection) -> str | None:
    import sqlite3

    try:
        row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
    except sqlite3.OperationalError:
        return None  # no table yet
    return row[0] if row else None


def _remove_database(path: Path) -> bool:
    """Remove a damaged database file and its journals (in vlint's own folder: nothing else lives there)."""
    ok = True
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{path}{suffix}")
        except FileNotFoundError:
            pass
        except OSError:
            ok = False
    return ok


class Reader:
    """Look-ups from an extraction worker: its own connection, opened on first use (a connection must not
    cross a fork), read-only in effect; any failure means misses."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._store: Store | None = None
        self._failed = path is None

    def get(self, key: str) -> str | None:
        if self._store is None and not self._failed:
            self._failed = True
            import sqlite3  # the parent opened this store: the module is there

            if self.path is not None and os.path.isfile(self.path):
                try:
                    conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                    self._store, self._failed = Store(Path(self.path), conn), False
                except sqlite3.Error:
                    pass
        return self._store.get(key) if self._store is not None else None
