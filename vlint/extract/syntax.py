"""Syntax errors in Python files the word check drops: listed, with CPython's own line, though the file
holds nothing to lint.

The word check (`extract.passes_word_check`) skips a file without trigger words before any parse, so such
a file's syntax error would otherwise go unreported. The driver calls `dropped_file_errors` where the word
check drops a file. CPython's parser decides; `symtable` runs it without building the `ast` objects
(about half the cost of `ast.parse`), and catches the errors CPython reports only when it compiles
(`nonlocal` at module level). Files are checked once per content: a file that parses is remembered as
having no trigger words by the per-file manifest, so a warm run reads it no more.
"""

from __future__ import annotations

import symtable

from vlint.facts import ParseError


def python_syntax_error(text: str, display: str) -> ParseError | None:
    """The file's first syntax error as CPython reports it, or None."""
    try:
        symtable.symtable(text, display, "exec")
    except SyntaxError as exc:  # IndentationError and TabError too
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        return ParseError(display, f"Python syntax error: {exc.msg}", line)
    except ValueError as exc:  # a NUL byte in the source
        return ParseError(display, f"Python syntax error: {exc}")
    except (RecursionError, MemoryError):
        return None  # nested beyond CPython's limits: not a syntax error vlint can point at
    return None


def dropped_file_errors(kind: str, text: str, display: str) -> list[ParseError]:
    """What a file the word check drops still has to say: for Python, a syntax error."""
    if kind != "python":
        return []
    error = python_syntax_error(text, display)
    if error is not None:
        error = _past_ipython(text, error)
    return [error] if error is not None else []


def _past_ipython(text: str, error: ParseError) -> ParseError | None:
    """A notebook export's IPython lines (`!pip install`, `%time`) are no error, as when the word check keeps
    such a file (`extract/python/recover.py`): the error is the first one past them, if any."""
    from vlint.extract.python.guard import Refusal
    from vlint.extract.python.recover import recover, shows_ipython

    if not shows_ipython(text):
        return error
    recovered = recover(text, Refusal(error.reason, error.line))
    if recovered is None:
        return error
    if recovered.cause is None:
        return None if recovered.error is None else error
    return ParseError(error.path, recovered.cause.reason, recovered.cause.line)
