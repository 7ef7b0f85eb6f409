"""libcst's parse; in vlint's own worker processes, without libcst re-validating every node it builds.

libcst validates each node it constructs in `CSTNode.__post_init__`, its parser's output included (its own
comment there: "It might make more sense to move validation work into the visitor, which would allow us to
avoid validating the tree when parsing a file"). A tree the parser built from a text is that text's tree,
so the checks buy vlint nothing: `vlint.api.scan()` over vLLM's tree in one process took 6% more CPU with
them (7 paired runs, median of the differences 0.38 s of 5.9 s; every pair slower).

Turning them off means replacing a method of libcst's base class, which every thread of the process sees.
So it is never done in a process that called `vlint.api.scan()` (a host program, its other threads, a test
run): only a worker process of vlint's own pool, which runs nothing else, calls `skip_node_validation` once
when it starts. Everywhere else `parse` is `libcst.parse_module` as it is.
"""

from __future__ import annotations

import libcst as cst
from libcst import CSTNode


def parse(text: str) -> cst.Module:
    return cst.parse_module(text)


def _unchecked(self: CSTNode) -> None:
    pass


def skip_node_validation() -> None:
    """For a worker process of vlint's pool, at its start: libcst builds its nodes without validating them,
    for the rest of the process's life."""
    CSTNode.__post_init__ = _unchecked  # type: ignore[method-assign]
