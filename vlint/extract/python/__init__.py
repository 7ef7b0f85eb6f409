"""The Python front end: facts from client code, through libcst, and the machinery that keeps it fast and safe.

A file goes through these stages (`pipeline.extract_python`), each in its own module with its reason:

- `prefilter.words_match`: words in the text (microseconds; the scan runs it before importing anything);
- `guard.parse_with_cpython`: CPython's tree, or why CPython refuses the file (reported, never handed on);
- `recover.recover`: for a file CPython refuses with a syntax error, its notebook magics neutralised and its
  broken statements left out, line numbers kept (reported next to what is still read);
- `survey.Survey` and `prefilter.calls_match`: could any call in that tree give the visitor a fact?
- `guard.nesting_refusal`: nesting that libcst's native parser would not survive;
- `slicer.slice_module`: the statements the visitor cannot need, left out of what libcst parses;
- `cstparse.parse`: libcst's parse;
- `walk.Walk` with `scopes.Collector`: one pass over the tree, bindings and calls with their scopes;
- `positions.Positions`: a node's position only when a fact needs it;
- `visitor.Extractor` (on `values.Resolver`, with `callsites.py` for what calls pass to parameters):
  requests, launches and env bindings from the calls; `offline.py` reads vLLM's engines, `rawhttp.py` raw
  HTTP, `reading.py` holds what they share.

Every call shape is declared once, in `rules/clients.yaml` (`catalogue.py`), and read by the prefilter's
words, the survey, the slicer and the visitor.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """`extract_python` is imported on first use: the word check imports this package without libcst."""
    if name == "extract_python":
        from vlint.extract.python.pipeline import extract_python

        return extract_python
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
