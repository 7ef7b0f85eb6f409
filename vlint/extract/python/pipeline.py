"""`extract_python`: a Python file's facts, through the front end's stages in order (see the package)."""

from __future__ import annotations

import ast
from typing import Any

import libcst as cst

from vlint.extract.python import cstparse, guard, prefilter, recover, slicer
from vlint.extract.python.positions import Positions
from vlint.extract.python.scopes import Collector
from vlint.extract.python.survey import Survey
from vlint.extract.python.visitor import Extractor
from vlint.extract.python.walk import Walk
from vlint.facts import FileFacts, ParseError


def extract_python(text: str, path: str, *, context: str = "code", prefiltered: bool = True) -> FileFacts:
    """The facts of one Python source. `prefiltered=False` parses a file the prefilter would drop (for the
    checks that the prefilter loses nothing)."""
    facts = FileFacts(path, "python")
    if prefiltered and not prefilter.words_match(text):
        return facts
    tree = guard.parse_with_cpython(text)
    recovered_shifts: dict[int, int] = {}
    if isinstance(tree, guard.Refusal):
        recovered = recover.recover(text, tree)
        if recovered is None:
            return _refused(facts, tree)
        text, tree, recovered_shifts = recovered.text, recovered.tree, recovered.shifts
        if recovered.error is not None:
            _refused(facts, recovered.error)  # reported, and the statements that parse are still read
        for snippet in recovered.shell:  # `!vllm serve ...` in a notebook export
            from vlint.extract.embed import extract_snippet

            facts.extend(extract_snippet(snippet, path, context))
    survey = Survey(tree)
    if prefiltered and not prefilter.calls_match(survey):
        return facts
    refusal = guard.nesting_refusal(tree, text)
    if refusal is not None:
        return _refused(facts, refusal)
    parsed, line_of = slicer.slice_module(text, tree, survey)  # without what the visitor cannot need
    try:
        module = cstparse.parse(parsed)
    except cst.ParserSyntaxError as exc:
        line = exc.raw_line if line_of is None or not 0 < exc.raw_line <= len(line_of) else line_of[exc.raw_line - 1]
        facts.errors.append(ParseError(path, f"libcst cannot parse what CPython parses: {exc.message}", line))
        return facts
    except (RecursionError, MemoryError):
        facts.errors.append(ParseError(path, "Python source too deeply nested to parse"))
        return facts
    _visit(module, text, tree, line_of, facts)
    if recovered_shifts:
        facts = _shifted(facts, recovered_shifts, text.count("\n") + 1, context)
    if context != "code":
        facts.requests = [_with_context(r, context) for r in facts.requests]
        facts.serves = [_with_context(s, context) for s in facts.serves]
    return facts


def _shifted(facts: FileFacts, shifts: dict[int, int], n_lines: int, context: str) -> FileFacts:
    """The facts with the columns of lines a `%time`-like magic was cut from put back (`recover.shifts`)."""
    from vlint.extract.embed import remap_facts
    from vlint.extract.positions import PositionMap

    positions = PositionMap.from_lines([(line, shifts.get(line, 0)) for line in range(1, n_lines + 1)])
    return remap_facts(facts, positions, facts.path, context)


def _refused(facts: FileFacts, refusal: guard.Refusal) -> FileFacts:
    facts.errors.append(ParseError(facts.path, refusal.reason, refusal.line))
    return facts


def _visit(module: cst.Module, text: str, tree: ast.Module, line_of: list[int] | None, facts: FileFacts) -> None:
    collector = Collector()
    try:
        walk = Walk(collector)
        walk.run(module)
        collector.positions = Positions(module, text, walk, tree, line_of)
        Extractor(facts.path, collector, facts).run()
    except RecursionError:
        facts.errors.append(ParseError(facts.path, "Python source too deeply nested to analyse"))


def _with_context(fact: Any, context: str) -> Any:
    from dataclasses import replace

    return replace(fact, context=context)
