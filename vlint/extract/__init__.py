"""One extractor per file kind; each turns text into facts and knows syntax, never rules.

The registry maps a kind to `module:function`, imported only when a file of that kind is read, so a
run that sees no Python never imports libcst and one that sees no YAML never imports PyYAML.

Python also has a prefilter here, ahead of the import: `might_hold_facts("python", text)` is False only
for a file the Python extractor provably gets nothing from. It has two stages: words in the text
(`python_words_match`, microseconds, run by the scan on every file before the extractor, and libcst, are
imported), then the calls in CPython's own `ast` (`python_calls_match`, run by the extractor before its
libcst parse; ~8x faster than that parse and ~40x faster than the extraction).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from vlint.facts import FileFacts

if TYPE_CHECKING:
    import ast

Extractor = Callable[[str, str], FileFacts]

EXTRACTORS: dict[str, str] = {
    "python": "vlint.extract.python:extract_python",
    "shell": "vlint.extract.shell:extract_shell_file",
    "yaml": "vlint.extract.yaml:extract_yaml",
    "dockerfile": "vlint.extract.dockerfile:extract_dockerfile",
    "json": "vlint.extract.jsonfile:extract_json",
    "dotenv": "vlint.extract.dotenv:extract_dotenv",
    "markdown": "vlint.extract.markdown:extract_markdown",
    "rst": "vlint.extract.markdown:extract_rst",
    "notebook": "vlint.extract.notebook:extract_notebook",
    "text": "vlint.extract.text:extract_text",
}


def load_callable(target: str) -> Callable[..., FileFacts]:
    """Import `module:function` on first use (the registries name extractors this way to stay lazy)."""
    module_name, func_name = target.split(":")
    module = sys.modules.get(module_name)
    if module is None:
        with quiet_collector():
            module = importlib.import_module(module_name)
    return getattr(module, func_name)


@contextmanager
def quiet_collector() -> Iterator[None]:
    """Import heavy modules with the cyclic garbage collector held off, then freeze what they made out of its
    later scans: an import allocates thousands of long-lived objects (libcst's ~230 node classes), and
    the collections they trigger rescan all of them (libcst's import: ~0.1 s of a ~0.5 s pre-commit run)."""
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.enable()


def get_extractor(kind: str) -> Extractor | None:
    target = EXTRACTORS.get(kind)
    return load_callable(target) if target is not None else None


def might_hold_facts(kind: str, text: str) -> bool:
    """False only when the `kind` extractor provably emits nothing (no fact, no error) for `text`.

    Kinds other than Python answer True: their extractors run their own cheap word checks first.
    """
    if kind == "python":
        return python_words_match(text) and python_calls_match(text)
    return True


def passes_word_check(kind: str, text: str) -> bool:
    """The first, cheapest stage of `might_hold_facts` (microseconds a file): what a scan runs on every
    file before hashing it or importing its extractor; the extractor runs the parse-based stage."""
    if kind == "python":
        return python_words_match(text)
    return True


# --------------------------------------------------------------------------------------------------
# The Python prefilter
#
# Why a skipped file is irrelevant. The Python extractor (vlint/extract/python.py, `visit_Call`) emits
# facts from calls only, in four ways, and each needs words in the source text:
#  1. a catalogue call (rules/clients.yaml `calls`), matched by the tail of the callee's attribute chain
#     (`x.chat.completions.create(`: every segment is an identifier in the text, the last one called) or
#     by its import-resolved name (`from langchain_openai import ChatOpenAI as C; C(...)`: the imported
#     name is in the text, and a qualname pattern `langchain*.X` needs `langchain` there too);
#  2. `.chat(`/`.generate(` on an engine that resolves to a `LLM(...)` call of this module: `LLM` is
#     called in the text (`LLM(`, `vllm.LLM(`) or imported under another name (`LLM as E`).
#     `SamplingParams` alone yields nothing: it is read only through such an engine call;
#  3. `.post(url, json=body)` whose URL, resolved inside the module, ends with a route in `http.routes`:
#     `post` is called, and every route ends in `completions` or `responses`, which must then be in some
#     string of the file;
#  4. `subprocess.*`, `os.system(`, `os.popen(` with a command (a launch, a curl, or a shell assignment
#     that becomes an env binding): `subprocess`, or `os` with a call of `system`/`popen` (or an alias
#     of either), is in the text.
# "Called" (`name(` in a clause) allows whatever Python allows between a callee's last name and its
# parenthesis: whitespace, newlines, comments, backslash continuations and the `)` of a parenthesised
# callee (`_CALLED`); the extractor matches calls on the callee's names only, so a callee made any
# other way (`getattr(client, "create")(...)`) yields no fact either.
# `rules/clients.yaml: prefilter_clauses` lists, for 1-3, sets of words that must all appear (kept in step
# with `calls` by tests/test_performance_contract.py); 4 mirrors the hard-coded names in python.py and is
# written here. The one assumption: a resolved string is not built by splitting a word across literals
# (`"compl" + "etions"`), as the words of the old single-word prefilter assumed too.
# Errors: a file that makes an OpenAI client (`OpenAI(`, a clause of its own) is always handed to the
# extractor, and a file CPython cannot parse goes on to libcst, so a client module's syntax error is
# still reported. Syntax errors in files with no client call go unreported: vlint is not a syntax checker.

_SUBPROCESS_CLAUSES = ("subprocess", r"\bos\b & \bsystem(|\bsystem as\b", r"\bos\b & \bpopen(|\bpopen as\b")


# `name(`: the identifier is called. Between a callee's last name and its `(` Python allows whitespace,
# newlines and comments inside brackets, backslash continuations, and the `)` of a parenthesised callee
# (`(client.chat.completions.create)(...)`): all of them are allowed here.
_CALLED = r"(?:\s|\)|#[^\n]*\n|\\\n)*\("  # each alternative starts differently: no backtracking blow-up


@dataclass(frozen=True)
class _Term:
    """One word of a clause: a plain substring, `\\b` at either end meaning an identifier boundary,
    `name(` meaning the identifier followed by a call's parenthesis (`_CALLED`), `a|b` meaning either."""

    alternatives: tuple[tuple[str, re.Pattern[str] | None, bool], ...]  # (needle, right-bounded, left-bounded)

    @classmethod
    def parse(cls, raw: str) -> _Term:
        out = []
        for part in raw.split("|"):
            needle = part.replace("\\b", "").removesuffix("(")
            # The pattern starts with the literal so `re` can skip ahead to it; a lookbehind in front
            # would make it try every position (20x slower on a large tree).
            right = None
            if part.endswith("("):
                right = re.compile(re.escape(needle) + _CALLED)
            elif part.endswith("\\b"):
                right = re.compile(re.escape(needle) + "(?!\\w)")
            out.append((needle, right, part.startswith("\\b")))
        return cls(tuple(out))

    def found_in(self, text: str) -> bool:
        for needle, right, left in self.alternatives:
            if needle not in text:  # the fast reject, a memchr-speed scan
                continue
            if right is None and not left:
                return True
            if right is not None:
                starts: Iterator[int] = (m.start() for m in right.finditer(text))
            else:
                starts = _find_all(text, needle)
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


@lru_cache(maxsize=1)
def python_clauses() -> tuple[tuple[_Term, ...], ...]:
    raw = (*read_prefilter_clauses(), *_SUBPROCESS_CLAUSES)
    return tuple(parse_clause(clause) for clause in raw)


def python_words_match(text: str) -> bool:
    # Each term is tested at most once per file; most files fail every clause on its first word.
    seen: dict[_Term, bool] = {}
    for clause in python_clauses():
        for term in clause:
            hit = seen.get(term)
            if hit is None:
                hit = seen[term] = term.found_in(text)
            if not hit:
                break
        else:
            return True
    return False


_CLAUSE_LINE = re.compile(r"^  - '([^'\n]*)'\s*(?:#.*)?$")


@lru_cache(maxsize=1)
def read_prefilter_clauses() -> tuple[str, ...]:
    """`prefilter_clauses` from rules/clients.yaml, read without PyYAML (50 ms of imports) when the block
    has the simple one-quoted-string-a-line shape it is written in; any other shape goes through YAML."""
    from vlint.knowledge import load_data, rules_dir

    lines = (rules_dir() / "clients.yaml").read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index("prefilter_clauses:")
    except ValueError:
        return tuple(load_data("clients.yaml")["prefilter_clauses"])
    out = []
    for line in lines[start + 1:]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _CLAUSE_LINE.match(line)
        if match is None:
            if line[:1] not in (" ", "-"):
                break  # the next top-level key
            return tuple(load_data("clients.yaml")["prefilter_clauses"])
        out.append(match.group(1))
    return tuple(out)


# The second stage walks the `ast` of a file that passed the words and asks of every call what
# `visit_Call` asks, answering yes whenever the answer could be yes:
#  - names: the callee's dotted name is tried raw and through every import of its head anywhere in the
#    module (libcst's scopes pick one of them);
#  - the engine: `.chat`/`.generate` counts when its receiver is an `LLM(...)` call, or a name or a
#    `self.`/`cls.` attribute that any assignment, `with ... as`, or parameter default in the module
#    binds to one (directly or through other such names: libcst follows the same links, in scope);
#  - HTTP: a `.post(...)` counts when it passes a body keyword (`json=`, `data=`, `content=`, or
#    `**kwargs`) and some string in the module holds a route's last word (`completions`, `responses`):
#    the URL libcst resolves is made of the module's strings, and must end with a route;
#  - subprocess: any call of `subprocess.*`, `os.system`, `os.popen` counts.
# A file that CPython cannot parse (newer syntax, Python 2) goes to libcst, which parses it or reports the
# error.


@dataclass(frozen=True)
class _CallShapes:
    qualnames: tuple[str, ...]
    qualname_re: re.Pattern[str]  # the qualname patterns as one expression (fnmatch's translation)
    suffixes: tuple[tuple[str, ...], ...]
    suffix_ends: frozenset[str]  # the last name of each suffix
    transparent: frozenset[str]
    engines: frozenset[str]
    engine_methods: frozenset[str]
    http_methods: frozenset[str]
    http_body: frozenset[str]
    route_words: tuple[str, ...]


@lru_cache(maxsize=1)
def _call_shapes() -> _CallShapes:
    import fnmatch

    from vlint.knowledge import load_data

    data = load_data("clients.yaml")
    qualnames = tuple(e["qualname"] for e in data["calls"] if "qualname" in e)
    suffixes = tuple(tuple(e["suffix"].split(".")) for e in data["calls"] if "suffix" in e)
    return _CallShapes(
        qualnames=qualnames,
        qualname_re=re.compile("|".join(f"(?:{fnmatch.translate(q)})" for q in qualnames)),
        suffixes=suffixes,
        suffix_ends=frozenset(suffix[-1] for suffix in suffixes),
        transparent=frozenset(data.get("transparent_segments", [])),
        engines=frozenset(data["offline"]["engine"]),
        engine_methods=frozenset(data["offline"]["methods"]),
        http_methods=frozenset(data["http"]["methods"]),
        http_body=frozenset(data["http"]["body_keywords"]),
        route_words=tuple(sorted({route.rstrip("/").rsplit("/", 1)[-1] for route in data["http"]["routes"]})),
    )


def parse_python_ast(text: str) -> ast.Module | None:
    """CPython's tree of a source, or None where CPython cannot parse it."""
    import ast

    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def python_calls_match(text: str) -> bool:
    tree = parse_python_ast(text)
    return tree is None or python_tree_calls_match(tree)


def python_tree_calls_match(tree: ast.Module) -> bool:
    return next(Survey(tree).matching_calls(), None) is not None


_SURVEY_FIELDS: dict[type, tuple[str, ...]] = {}  # a node class's child fields, `ctx` left out


@lru_cache(maxsize=1)
def _survey_kinds() -> dict[type, int]:
    import ast

    return {ast.Call: 1, ast.Attribute: 2, ast.Name: 2, ast.Constant: 3, ast.Assign: 4, ast.AnnAssign: 5,
            ast.withitem: 6, ast.arguments: 7, ast.Import: 8, ast.ImportFrom: 9, ast.ClassDef: 10}


class Survey:
    """One walk over CPython's tree of a module: what the call check needs, and the lines that make a
    function needed by the extractor (`vlint/extract/pyslice.py`), so a file that passes is walked once."""

    def __init__(self, tree: ast.Module) -> None:
        import ast

        shapes = self.shapes = _call_shapes()
        imports: dict[str, set[str]] = {}
        calls: list[ast.Call] = []
        bindings: list[tuple[ast.expr, ast.expr | None]] = []  # (target, value) as the Collector binds them
        route_string = False
        anchors: list[ast.AST] = []  # imports, classes, self./cls. stores, SamplingParams, add_argument
        named: list[ast.AST] = []
        kinds = _survey_kinds()
        fields_of = _SURVEY_FIELDS
        node_class = ast.AST
        stack: list[ast.AST] = [tree]
        while stack:  # every node once (in no particular order: nothing here depends on it)
            node = stack.pop()
            cls = node.__class__
            kind = kinds.get(cls, 0)
            if kind == 0:
                pass
            elif kind == 1:
                calls.append(node)  # type: ignore[arg-type]
            elif kind == 2:
                named.append(node)
            elif kind == 3:
                if not route_string and isinstance(node.value, str):  # type: ignore[attr-defined]
                    route_string = any(word in node.value for word in shapes.route_words)  # type: ignore[attr-defined]
            elif kind == 4:
                bindings.extend((target, node.value) for target in node.targets)  # type: ignore[attr-defined]
            elif kind == 5:
                bindings.append((node.target, node.value))  # type: ignore[attr-defined]
            elif kind == 6:
                if node.optional_vars is not None:  # type: ignore[attr-defined]
                    bindings.append((node.optional_vars, node.context_expr))  # type: ignore[attr-defined]
            elif kind == 7:
                args: ast.arguments = node  # type: ignore[assignment]
                positional = [*args.posonlyargs, *args.args]
                bindings.extend((ast.Name(a.arg), d) for a, d in zip(positional[len(positional) - len(args.defaults):],
                                                                    args.defaults, strict=True))
                bindings.extend((ast.Name(a.arg), d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True))
            elif kind == 8:
                anchors.append(node)
                for alias in node.names:  # type: ignore[attr-defined]
                    if alias.asname:
                        imports.setdefault(alias.asname, set()).add(alias.name)
                    else:
                        head = alias.name.split(".")[0]
                        imports.setdefault(head, set()).add(head)
            elif kind == 9:
                anchors.append(node)
                module = node.module  # type: ignore[attr-defined]
                for alias in node.names:  # type: ignore[attr-defined]
                    if alias.name != "*":
                        full = f"{module}.{alias.name}" if module else alias.name
                        imports.setdefault(alias.asname or alias.name, set()).add(full)
            elif kind == 10:
                anchors.append(node)
            fields = fields_of.get(cls)
            if fields is None:
                fields = fields_of[cls] = tuple(f for f in cls._fields if f != "ctx")
            for field in fields:
                value = getattr(node, field, None)
                if value.__class__ is list:
                    stack.extend(item for item in value if isinstance(item, node_class))
                elif isinstance(value, node_class):
                    stack.append(value)
        self.calls, self.imports, self.route_string = calls, imports, route_string
        self.anchors, self.named = anchors, named
        self.engine_names, self.engine_attrs = _engine_holders(bindings, self.is_engine_call)

    def qualnames(self, func: ast.expr) -> set[str]:
        dotted = _ast_dotted(func)
        if dotted is None:
            return set()
        head, _, rest = dotted.partition(".")
        return {dotted} | {f"{base}.{rest}" if rest else base for base in self.imports.get(head, ())}

    def is_engine_call(self, node: ast.expr | None) -> bool:
        import ast

        return isinstance(node, ast.Call) and bool(self.qualnames(node.func) & self.shapes.engines)

    def is_engine(self, receiver: ast.expr) -> bool:
        import ast

        if self.is_engine_call(receiver):
            return True
        if isinstance(receiver, ast.Name):
            return receiver.id in self.engine_names
        return isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) \
            and receiver.value.id in ("self", "cls") and receiver.attr in self.engine_attrs

    def matches(self, call: ast.Call) -> bool:
        """Whether the call could take a path of the extractor's `visit_Call`."""
        import ast

        shapes = self.shapes
        quals = self.qualnames(call.func)
        if any(shapes.qualname_re.match(q) for q in quals):
            return True
        if any(q.startswith("subprocess.") or q in ("os.system", "os.popen") for q in quals):
            return True
        chain = _ast_chain(call.func)
        if chain and chain[-1] in shapes.http_methods and self.route_string \
                and any(k.arg is None or k.arg in shapes.http_body for k in call.keywords):
            return True
        if isinstance(call.func, ast.Attribute) and call.func.attr in shapes.engine_methods \
                and (self.engine_names or self.engine_attrs or self.is_engine_call(call.func.value)) \
                and self.is_engine(call.func.value):
            return True
        tail = [part for part in chain if part not in shapes.transparent]
        return bool(tail) and tail[-1] in shapes.suffix_ends \
            and any(tuple(tail[-len(suffix):]) == suffix for suffix in shapes.suffixes)

    def matching_calls(self) -> Iterator[ast.Call]:
        return (call for call in self.calls if self.matches(call))


def _engine_holders(bindings: list[tuple[ast.expr, ast.expr | None]],
                    is_engine_call: Callable[[ast.expr | None], bool]) -> tuple[set[str], set[str]]:
    """Names and `self.` attributes some binding in the module ties to an engine call, to a fixpoint."""
    import ast

    pairs: list[tuple[ast.expr, ast.expr | None]] = []
    todo = list(bindings)
    while todo:
        target, value = todo.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) \
                else [None] * len(target.elts)
            todo.extend(zip(target.elts, values, strict=True))
        elif isinstance(target, ast.Starred):
            todo.append((target.value, None))
        else:
            pairs.append((target, value))
    names: set[str] = set()
    attrs: set[str] = set()
    changed = True
    while changed:
        changed = False
        for target, value in pairs:
            if value is None:
                continue
            holds = is_engine_call(value) or isinstance(value, ast.Name) and value.id in names \
                or isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) \
                and value.value.id in ("self", "cls") and value.attr in attrs
            if not holds:
                continue
            if isinstance(target, ast.Name) and target.id not in names:
                names.add(target.id)
                changed = True
            elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                    and target.value.id in ("self", "cls") and target.attr not in attrs:
                attrs.add(target.attr)
                changed = True
    return names, attrs


def _ast_dotted(node: ast.expr) -> str | None:
    import ast

    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _ast_chain(node: ast.expr) -> list[str]:
    import ast

    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        elif isinstance(node, ast.Call):
            node = node.func
            parts.append("()")
        else:
            break
    return list(reversed(parts))


def module_constants(text: str) -> dict[str, tuple[object, int, int]]:
    """Top-level `NAME = literal` assignments of a module (CPython's ast: cheap, and enough for constants),
    for the linker to resolve `from settings import MODEL` across files. Name -> (value, line, column).
    Here, not beside the libcst extractor, so linking a warm (cached) scan never imports libcst."""
    import ast

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    out: dict[str, tuple[object, int, int]] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if value is None:
            continue
        literal: object = None
        if isinstance(value, ast.Constant) and isinstance(value.value, (str, int, float)):
            literal = value.value
        elif isinstance(value, ast.Call) and value.args and isinstance(value.args[-1], ast.Constant) \
                and isinstance(value.func, ast.Attribute) and value.func.attr in ("get", "getenv"):
            literal = value.args[-1].value if len(value.args) > 1 else None  # os.getenv("X", "default")
        if literal is None:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                out[target.id] = (literal, value.lineno, value.col_offset + 1)
    return out
