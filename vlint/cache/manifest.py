"""What the last runs learnt of each file, by its `stat`, so a warm run neither reads nor hashes a file that
did not change.

A file is taken as unchanged, as git's index does it, when its size, modification time, status-change
time and inode all match what was recorded, and the record is not "racy": a file whose modification or
status-change time lies within two seconds of the start of the run that recorded it may have been
written again in the same clock tick, so it is read again (`cp -p`, `touch -r` and tar extraction keep
the modification time but not the status-change time). Records are kept per scope (the working folder,
the data and `max-file-size`: display paths and keys depend on them) as rows of the project's store,
each with its checksum; a record that fails it is a miss.
"""

from __future__ import annotations

import os
import time

from vlint.cache.store import StampRow, Store, stamp_digest

RACY_NS = 2_000_000_000


class Manifest:
    """The stamps of one scope: `known` answers from what earlier runs recorded, `keep` records what this
    run learnt, `save` writes it (only the rows that changed: a warm run writes nothing)."""

    def __init__(self, store: Store, scope: str) -> None:
        self.store = store
        self.scope = scope
        self.rows = store.stamps(scope)
        self.started_ns = time.time_ns()
        self.fresh: dict[str, StampRow] = {}

    @staticmethod
    def stat(location: str) -> os.stat_result | None:
        try:
            return os.stat(location)
        except OSError:
            return None

    def known(self, display: str, st: os.stat_result) -> str | None:
        """The recorded outcome ("" or an entry key) when the file provably did not change, else None."""
        found = self.rows.get(display)
        if found is None:
            return None
        row, check = found
        size, mtime, ctime, ino, outcome, seen = row
        if size != st.st_size or mtime != st.st_mtime_ns or ctime != st.st_ctime_ns or ino != st.st_ino:
            return None
        if not isinstance(seen, int) or max(mtime, ctime) >= seen - RACY_NS:
            return None  # racy: it may have changed again within the tick that run saw
        if check != stamp_digest(self.scope, display, row) or not isinstance(outcome, str):
            self.store.damaged = True
            return None
        return outcome

    def keep(self, display: str, st: os.stat_result, outcome: str) -> None:
        self.fresh[display] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, outcome, self.started_ns)

    def save(self) -> None:
        if self.fresh:
            self.store.put_stamps(self.scope, self.fresh)
