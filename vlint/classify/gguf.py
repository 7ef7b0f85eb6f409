"""A GGUF file's header: the metadata keys vlint reads (`general.name`, `general.base_model.*`).

Only the header is read, with every count and length bounded; tensors and big arrays (the vocabulary) are
skipped, never loaded.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

MAX_GGUF_HEADER = 128 * 1024 * 1024


MAX_GGUF_KV = 8192


MAX_GGUF_STRING = 16 * 1024 * 1024


@dataclass(frozen=True)
class GGUFHeader:
    """The metadata keys vlint cares about; tensors and big arrays (the vocabulary) are skipped."""

    version: int
    metadata: dict[str, Any]
    has_chat_template: bool


_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9


class _Reader:
    """Bounded little-endian reads: a corrupt or hostile file ends in ValueError, not a huge allocation."""

    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self.fh, self.limit, self.pos = fh, limit, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.limit:
            raise ValueError("GGUF header larger than the read limit")
        data = self.fh.read(n)
        if len(data) != n:
            raise ValueError("truncated GGUF header")
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.limit:
            raise ValueError("GGUF header larger than the read limit")
        self.fh.seek(n, os.SEEK_CUR)
        self.pos += n

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self, len_fmt: str, keep: bool = True) -> str | None:
        length = self.unpack(len_fmt)
        if length > MAX_GGUF_STRING:
            raise ValueError("GGUF string too long")
        if not keep:
            self.skip(length)
            return None
        return self.take(length).decode("utf-8", errors="replace")


def read_gguf_header(path: Path, *, limit: int = MAX_GGUF_HEADER) -> GGUFHeader:
    """Parse the key/value header of a GGUF file (versions 1 to 3). Raises ValueError when malformed."""
    with open(path, "rb") as fh:
        reader = _Reader(fh, limit)
        if reader.take(4) != b"GGUF":
            raise ValueError("not a GGUF file")
        version = reader.unpack("<I")
        if version not in (1, 2, 3):
            raise ValueError(f"unsupported GGUF version {version}")
        count_fmt = "<I" if version == 1 else "<Q"
        reader.unpack(count_fmt)  # tensor count: not needed
        kv_count = reader.unpack(count_fmt)
        if kv_count > MAX_GGUF_KV:
            raise ValueError("implausible GGUF key count")
        metadata: dict[str, Any] = {}
        has_template = False
        for _ in range(kv_count):
            key = reader.string(count_fmt) or ""
            value_type = reader.unpack("<I")
            wanted = key.startswith("general.")
            if key == "tokenizer.chat_template":
                has_template = True
            metadata_value = _read_value(reader, value_type, count_fmt, keep=wanted)
            if wanted:
                metadata[key] = metadata_value
        return GGUFHeader(version, metadata, has_template)


def _read_value(reader: _Reader, value_type: int, count_fmt: str, *, keep: bool) -> Any:
    if value_type in _SCALARS:
        return reader.unpack(_SCALARS[value_type])
    if value_type == _STRING:
        return reader.string(count_fmt, keep=keep)
    if value_type == _ARRAY:
        item_type = reader.unpack("<I")
        count = reader.unpack(count_fmt)
        keep_items = keep and count <= 64
        if item_type in _SCALARS and not keep_items:
            reader.skip(struct.calcsize(_SCALARS[item_type]) * count)
            return None
        items = [_read_value(reader, item_type, count_fmt, keep=keep_items) for _ in range(count)]
        return items if keep_items else None
    raise ValueError(f"unknown GGUF value type {value_type}")
