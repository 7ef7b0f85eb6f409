"""Which files the Python extractor provably gets nothing from, decided without libcst.

Most Python files in a project say nothing about models, and libcst's parse is the cost of a scan (on vLLM's
tree: 2,992 of 3,250 files are dropped here). Two stages, each a necessary condition for a fact:

1. words (`words_match`, microseconds a file: the scan runs it on every file before hashing it or importing
   an extractor). The visitor makes facts from calls only, and every call shape in the catalogue needs words
   in the source text: a suffix entry `chat.completions.create` needs each segment as an identifier and the
   last one called; a qualname pattern `langchain*.ChatOpenAI` needs its literal parts, and its last name
   called or imported under another name (`ChatOpenAI as C`); the vLLM engine needs `LLM` called or aliased
   and a method of it called; raw HTTP needs `post` called and a route's last word (`completions`) in some
   string; a launch needs its module (`subprocess`) or its function (`os` and `system` called). The clauses
   are derived from the catalogue (`clauses`), never written by hand, so a new call shape is one data edit.
   The one assumption: a resolved string is not built by splitting a word across literals
   (`"compl" + "etions"`).
2. calls (`calls_match`): the survey of CPython's tree (`survey.py`) asks of every call what the visitor
   asks, answering yes whenever the answer could be yes.

A file that passes the words and that CPython cannot parse is handed to the extractor, which reports why;
so is one that makes an OpenAI client (`parse_anyway` in the catalogue), so that a client module's syntax
error shows. Syntax errors elsewhere go unreported: vlint is not a syntax checker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from vlint.extract.python.catalogue import Catalogue, HttpShape, catalogue

if TYPE_CHECKING:
    from vlint.extract.python.survey import Survey

# Between a callee's last name and its `(` Python allows whitespace, newlines and comments inside brackets,
# backslash continuations, and the `)` of a parenthesised callee (`(client.chat.completions.create)(...)`).
# Each alternative starts differently: no backtracking blow-up.
_CALLED = r"(?:\s|\)|#[^\n]*\n|\\\n)*\("
_ALIASED = r"(?:\s|#[^\n]*\n|\\\n)+as(?!\w)"  # `name as alias`, inside brackets over lines too


@dataclass(frozen=True)
class _Term:
    """One word of a clause: a plain substring; `\\b` at either end meaning an identifier boundary; `name(`
    the identifier followed by a call's parenthesis; `name as` the identifier imported under another name;
    `a|b` either."""

    alternatives: tuple[tuple[str, re.Pattern[str] | None, bool], ...]  # (needle, right side, left-bounded)

    @classmethod
    def parse(cls, raw: str) -> _Term:
        out = []
        for part in raw.split("|"):
            left = part.startswith("\\b")
            word = part.removeprefix("\\b")
            # The pattern starts with the literal so `re` can skip ahead to it; a lookbehind in front would
            # make it try every position (20x slower on a large tree).
            right = None
            if word.endswith("("):
                word = word[:-1]
                right = re.compile(re.escape(word) + _CALLED)
            elif word.endswith(" as"):
                word = word[:-3]
                right = re.compile(re.escape(word) + _ALIASED)
            elif word.endswith("\\b"):
                word = word[:-2]
                right = re.compile(re.escape(word) + "(?!\\w)")
            out.append((word, right, left))
        return cls(tuple(out))

    def found_in(self, text: str) -> bool:
        for needle, right, left in self.alternatives:
            if needle not in text:  # the fast reject, a memchr-speed scan
                continue
            if right is None and not left:
                return True
            starts: Iterator[int] = (m.start() for m in right.finditer(text)) if right is not None \
                else _find_all(text, needle)
            for start in starts:
                if not left or start == 0 or not _is_word_char(text[start - 1]):
                    return True
        return False


def _find_all(text: str, needle: str) -> Iterator[int]:
    start = text.find(needle)
    while start >= 0:
        yield start
        start = text.find(needle, start + 1)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def parse_clause(raw: str) -> tuple[_Term, ...]:
    return tuple(_Term.parse(word.strip()) for word in raw.split("&"))


# ---- the clauses, derived from the catalogue -------------------------------------------------------------

def clauses(cat: Catalogue) -> tuple[str, ...]:
    """One clause a way a fact can come about, in the syntax `_Term.parse` reads (every `&`-joined word must
    be in the text); the same clause twice is kept once."""
    return tuple(dict.fromkeys(clause for group in clauses_by_path(cat).values() for clause in group))


def clauses_by_path(cat: Catalogue) -> dict[str, list[str]]:
    """The clauses of each path to a fact: client calls, the vLLM engine, raw HTTP, launches, and the
    catalogue's `parse_anyway` (no fact: a client module's syntax errors)."""
    engines = sorted({engine.rsplit(".", 1)[-1] for engine in cat.engines})
    # an engine is called or aliased (`LLM(`, `LLM as`), subclassed or wrapped (`(LLM)`, `(Base, LLM)`,
    # `ray.remote(LLM)`), or made by a factory of an engine class, which names the class
    # (`LLMEngine.from_engine_args(`, or its import)
    engine_words = [word for name in engines for word in (_called_or_aliased(name), f"({name}\\b", f", {name})")]
    engine_words += [f"\\b{name}\\b" for name in sorted(cat.engine_classes) if name not in engines]
    engine_words += [f"\\b{name}.{factory}(" for name in engines for factory in sorted(cat.engine_factories)]
    methods = sorted(cat.engine_methods)
    method_words = [f"\\b{method}(" for method in methods] + [f"\\b{method}.{cat.actor_call}(" for method in methods]
    return {
        "calls": [" & ".join([*(f"\\b{name}\\b" for name in suffix[:-1]), f"\\b{suffix[-1]}("])
                  for suffix, _ in cat.by_suffix] + [_qualname_clause(pattern) for pattern, _ in cat.by_qualname],
        "engine": [_either(engine_words) + " & " + _either(method_words)],
        "http": [_http_words(shape) + " & " + _either(cat.route_words()) for shape in cat.http_shapes],
        "launch": [f"\\b{module}\\b" for module in cat.launch_modules]
                  + [_qualname_clause(function) for function in cat.launch_functions],
        "parse_anyway": list(cat.parse_anyway),
    }


def _http_words(shape: HttpShape) -> str:
    """`\\bpost(` for a shape named by its methods; the qualname's clause for one named by its qualname."""
    if shape.qualname is not None:
        return _qualname_clause(shape.qualname)
    return _either(f"\\b{method}(" for method in sorted(shape.methods))


def _qualname_clause(pattern: str) -> str:
    """`pkg*.Name`: the literal parts of the leading names, and the last name called or aliased."""
    *heads, last = pattern.split(".")
    words = [word for head in heads for word in _literal_words(head)]
    if _WILDCARD.search(last.lstrip("*")):
        words.extend(_literal_words(last))
    else:
        words.append(_called_or_aliased(last.lstrip("*"), bounded=not last.startswith("*")))
    return " & ".join(words)


_WILDCARD = re.compile(r"[*?\[]")


def _literal_words(name: str) -> list[str]:
    """The literal runs of one fnmatch name, with an identifier boundary where a run meets the name's edge."""
    runs = [m for m in re.finditer(r"[^*?\[\]]+", name)]
    return [("\\b" if m.start() == 0 else "") + m.group() + ("\\b" if m.end() == len(name) else "")
            for m in runs if not _WILDCARD.search(m.group())]


def _called_or_aliased(name: str, bounded: bool = True) -> str:
    edge = "\\b" if bounded else ""
    return f"{edge}{name}(|{edge}{name} as"


def _either(words: object) -> str:
    return "|".join(words)  # type: ignore[call-overload]


@cache
def _parsed_clauses() -> tuple[tuple[_Term, ...], ...]:
    return tuple(parse_clause(clause) for clause in clauses(catalogue()))


def words_match(text: str) -> bool:
    """Stage 1: False only when no call shape of the catalogue can have its words in `text`."""
    seen: dict[_Term, bool] = {}  # each term is tested at most once; most files fail every clause on its first
    for clause in _parsed_clauses():
        for term in clause:
            hit = seen.get(term)
            if hit is None:
                hit = seen[term] = term.found_in(text)
            if not hit:
                break
        else:
            return True
    return False


def calls_match(survey: Survey) -> bool:
    """Stage 2: whether some call in CPython's tree could take a path of the visitor."""
    return next(survey.matching_calls(), None) is not None


def might_hold_facts(text: str) -> bool:
    """False only when the extractor provably emits nothing (no fact, no error) for `text`."""
    from vlint.extract.python.guard import Refusal, parse_with_cpython
    from vlint.extract.python.survey import Survey

    if not words_match(text):
        return False
    tree = parse_with_cpython(text)
    return isinstance(tree, Refusal) or calls_match(Survey(tree))
