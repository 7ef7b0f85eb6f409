"""What the last runs learnt of each file, by its `stat`, so a warm run neither reads nor hashes a file that
did not change.

A file is taken as unchanged, as git's index does it, when its size, modification time, status-change
time and inode all match what was recorded, and the record is not "racy": a file whose modification or
status-change time lies within two seconds of the start of the run that recorded it may have been
written again in the same clock tick, so it is read again (`cp -p`, `touch -r` and tar extraction keep
the modification time but not the status-change time). The records of one scope (the working folder,
the data and `max-file-size`: display paths and keys depend on them) are one JSON object in the
project's store, checked as a whole (one checksum); a run merges what it learnt into what is stored in
one transaction. Records older than 30 days are dropped when the object is next written (an unchanged
file is then read once more).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from vlint.cache.store import MAX_AGE_S, Store

RACY_NS = 2_000_000_000
KIND = "stamps"
DAY_NS = 24 * 3600 * 1_000_000_000


class Manifest:
    """The stamps of one scope: `known` answers from what earlier runs recorded, `keep` records what this
    run learnt, `save` merges it into the store (a warm run that learnt nothing writes nothing).

    A record maps a display path to [size, mtime_ns, ctime_ns, inode, outcome, day recorded]; a racy
    stamp is never recorded."""

    def __init__(self, store: Store, scope: str) -> None:
        self.store = store
        self.scope = scope
        self.records = _parse(store.blob(KIND, scope))
        self.started_ns = time.time_ns()
        self.fresh: dict[str, list[Any]] = {}

    @staticmethod
    def stat(location: str) -> os.stat_result | None:
        try:
            return os.stat(location)
        except OSError:
            return None

    def known(self, display: str, st: os.stat_result) -> str | None:
        """The recorded outcome ("" or an entry key) when the file provably did not change, else None."""
        record = self.records.get(display)
        if type(record) is not list or len(record) != 6:
            return None
        size, mtime, ctime, ino, outcome, _ = record
        if size != st.st_size or mtime != st.st_mtime_ns or ctime != st.st_ctime_ns or ino != st.st_ino:
            return None
        return outcome if type(outcome) is str else None

    def keep(self, display: str, st: os.stat_result, outcome: str) -> None:
        if max(st.st_mtime_ns, st.st_ctime_ns) >= self.started_ns - RACY_NS:
            return  # racy: it may change again within the tick this run saw; read it again next time
        self.fresh[display] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, outcome,
                               self.started_ns // DAY_NS]

    def save(self) -> None:
        if not self.fresh:
            return
        oldest = (time.time_ns() - MAX_AGE_S * 1_000_000_000) // DAY_NS

        def merged(current: str | None) -> str:
            records = {path: record for path, record in _parse(current).items()
                       if type(record) is list and len(record) == 6 and type(record[5]) is int
                       and record[5] >= oldest}
            records.update(self.fresh)
            return json.dumps(records, separators=(",", ":"))

        self.store.update_blob(KIND, self.scope, merged)
        self.fresh = {}  # a run that extracts twice (the given files, then the rest of the project) saves each once


def _parse(payload: str | None) -> dict[str, Any]:
    if payload is None:
        return {}
    try:
        records = json.loads(payload)
    except (ValueError, RecursionError):
        return {}
    return records if isinstance(records, dict) else {}
