"""Code embedded in another file: run the right extractor on a snippet and move its facts home.

Markdown fences, rST directives, notebook cells and command lines in `.txt` notes are all snippets:
text cut out of a host file. Each snippet is extracted as if it were a file of its own kind, then every
location is rewritten through a `PositionMap` so findings (and SARIF regions) point at the host file,
and every fact gets the host's `context` ("docs" demotes the severity; see `vlint.api`).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from vlint.extract.positions import PositionMap
from vlint.facts import EnvBinding, FileFacts, Location, ParseError, Request, Serve, Value

# Extractors a snippet can be handed to. Imported lazily: a README with only a bash fence never pays for
# libcst, and a kind whose extractor is not built yet (or fails to import) is skipped, not fatal.
SNIPPET_EXTRACTORS: dict[str, str] = {
    "python": "vlint.extract.python:extract_python",
    "shell": "vlint.extract.shell:extract_shell",
    "yaml": "vlint.extract.yaml:extract_yaml",
    "json": "vlint.extract.jsonfile:extract_json",
    "jsonl": "vlint.extract.jsonfile:extract_json",
    "dockerfile": "vlint.extract.dockerfile:extract_dockerfile",
}

# The JSON extractor picks JSON Lines by the file name; the other extractors ignore the suffix.
_SNIPPET_SUFFIX = {
    "python": ".py",
    "shell": ".sh",
    "yaml": ".yaml",
    "json": ".json",
    "jsonl": ".jsonl",
    "dockerfile": ".dockerfile",
}


# A line of a host file as a snippet sees it: its text, its 1-based host line, and the 0-based host column
# its first character sits at (after a prompt, an indentation or a JSON string's quote was cut off).
Line = tuple[str, int, int]

# The cheap pre-check before any work on a documentation file. Every extractor a snippet can reach looks
# for words before it parses: Python for the word clauses derived from its catalogue (rules/clients.yaml), shell for
# vllm/curl/docker/podman/nerdctl, YAML for its `_RELEVANT_WORDS` (`env` aside: docs publish no env
# bindings), JSON for `"model"`, and any vLLM launch names vllm or a model. This tuple is their union,
# lower-cased (tests/test_docs_extractors.py checks it against each extractor's list). A snippet's text is
# cut from its host (prompts and magics are removed, never added), so a host text without one of these
# words cannot yield a fact, and skipping it cannot lose a finding. (A notebook is read as raw JSON text;
# nbformat writes non-ASCII as is, and none of these words needs escaping.)
RELEVANT_WORDS: tuple[str, ...] = (
    "vllm",
    "curl",
    "docker",
    "podman",
    "nerdctl",
    "completion",
    "llm",
    "samplingparams",
    "/v1",
    "openai",
    "responses",
    "dspy",
    "model",
    "chat",
    "generation",
    "served",
    # programs and modules of the other servers (rules/servers.yaml) that hold none of the words above
    "sglang",
    "text-generation",
    "llama-server",
    "llama_cpp",
    "ollama",
    "lmdeploy",
)


def might_hold_facts(text: str) -> bool:
    """False only when no snippet of `text` can yield a fact (see `RELEVANT_WORDS`)."""
    low = text.lower()
    return any(word in low for word in RELEVANT_WORDS)


@dataclass(frozen=True)
class Snippet:
    """Code cut out of a host file: its text, its kind, and where each of its lines sits in the host."""

    kind: str
    text: str
    positions: PositionMap
    label: str = "code block"  # for error messages: "```python block", "cell 3"


def _import(kind: str) -> Callable[..., FileFacts] | None:
    from vlint.extract import load_callable

    target = SNIPPET_EXTRACTORS.get(kind)
    return load_callable(target) if target is not None else None


def remap_location(location: Location | None, positions: PositionMap, path: str) -> Location | None:
    if location is None:
        return None
    return positions.locate(path, location.line, location.column)


_NOTE_LINE = re.compile(r"\bat line (\d+)\b")


def _remap_note(note: str, positions: PositionMap, path: str) -> str:
    """Provenance notes name snippet lines ("`MODEL` set at line 2"); point them at the host line too."""
    if "at line " not in note:
        return note
    return _NOTE_LINE.sub(lambda m: f"at line {positions.locate(path, int(m.group(1))).line}", note)


def _remap_value(value: Value | None, positions: PositionMap, path: str) -> Value | None:
    if value is None:
        return value
    return replace(
        value,
        location=remap_location(value.location, positions, path),
        note=_remap_note(value.note, positions, path),
    )


_Fact = TypeVar("_Fact", Serve, Request)


def _remap_fact(fact: _Fact, positions: PositionMap, path: str, context: str) -> _Fact:
    """A launch or a request moved into the host file (both carry a location, a model and a temperature)."""
    moved = replace(
        fact,
        location=positions.locate(path, fact.location.line, fact.location.column),
        model=_remap_value(fact.model, positions, path),
        temperature=_remap_value(fact.temperature, positions, path),
        context=context,
    )
    if isinstance(moved, Request) and moved.templated_by is not None:
        moved = replace(moved, templated_by=_remap_value(moved.templated_by, positions, path))
    return moved


def _remap_error(error: ParseError, positions: PositionMap, path: str) -> ParseError:
    line = positions.locate(path, error.line).line if error.line is not None else None
    return replace(error, path=path, line=line)


def remap_facts(facts: FileFacts, positions: PositionMap, path: str, context: str) -> FileFacts:
    """`facts` of a snippet, with every location moved into the host file `path` and `context` set."""
    out = FileFacts(path, facts.kind)
    out.serves = [_remap_fact(s, positions, path, context) for s in facts.serves]
    out.requests = [_remap_fact(r, positions, path, context) for r in facts.requests]
    out.env = [
        EnvBinding(b.name, _remap_value(b.value, positions, path) or b.value, b.scope) for b in facts.env
    ]
    out.errors = [_remap_error(e, positions, path) for e in facts.errors]
    out.runs = [replace(r, location=positions.locate(path, r.location.line, r.location.column), context=context,
                        options=tuple((k, _remap_value(v, positions, path) or v) for k, v in r.options))
                for r in facts.runs]
    out.routes = [replace(r, location=positions.locate(path, r.location.line, r.location.column))
                  for r in facts.routes]
    return out


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def host_lines(text: str, first_line: int = 1) -> list[Line]:
    """The lines of a host text, numbered as editors and SARIF viewers count them (CR, LF or CRLF only;
    `str.splitlines` would also split on form feeds and U+2028 and shift every later line)."""
    parts = _LINE_BREAK.split(text) if "\r" in text else text.split("\n")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return [(line, number, 0) for number, line in enumerate(parts, start=first_line)]


def snippet_from_lines(kind: str, lines: Sequence[Line], label: str = "code block") -> Snippet:
    """A snippet made of host lines (not necessarily consecutive: dropped output lines leave gaps)."""
    return Snippet(
        kind,
        "\n".join(text for text, _, _ in lines) + "\n",
        PositionMap.from_lines([(line, col) for _, line, col in lines]),
        label,
    )


def drop_env(facts: FileFacts) -> FileFacts:
    """Docs are not configuration: a README's `export MODEL=...` must not join the project's env table,
    where it would make the real deployment's value ambiguous (and so unresolved)."""
    facts.env = []
    return facts


def set_context(facts: FileFacts, context: str) -> FileFacts:
    """The same facts with `context` set (for extractors that already wrote host coordinates)."""
    facts.serves = [replace(s, context=context) for s in facts.serves]
    facts.requests = [replace(r, context=context) for r in facts.requests]
    facts.runs = [replace(r, context=context) for r in facts.runs]
    return facts


def extract_snippet(snippet: Snippet, path: str, context: str, *, keep_errors: bool = True) -> FileFacts:
    """Facts of one snippet in host coordinates; never raises (one odd block must not lose the file).

    `keep_errors=False` drops the snippet's parse errors: a docs page's pseudo-code that does not parse
    is normal, not a defect of the page, and reporting it would only be noise.
    """
    extractor = _import(snippet.kind)
    if extractor is None or not snippet.text.strip():
        return FileFacts(path, snippet.kind)
    try:
        if snippet.kind == "shell":
            facts = set_context(
                extractor(snippet.text, path, positions=snippet.positions, context=context), context
            )
        else:
            raw: Any = extractor(snippet.text, path + _SNIPPET_SUFFIX[snippet.kind])
            facts = remap_facts(raw, snippet.positions, path, context)
    except RecursionError:
        facts = FileFacts(path, snippet.kind)
        facts.errors.append(
            ParseError(
                path, f"{snippet.label} nested too deeply to analyse", snippet.positions.locate(path, 1).line
            )
        )
    except Exception as exc:  # noqa: BLE001 - a crash on one block must not lose the rest of the file
        facts = FileFacts(path, snippet.kind)
        facts.errors.append(
            ParseError(
                path,
                f"internal error in the {snippet.kind} extractor on the {snippet.label}: "
                f"{type(exc).__name__}: {exc}",
                snippet.positions.locate(path, 1).line,
            )
        )
    if not keep_errors:
        facts.errors = []
    return facts


# --------------------------------------------------------------------------------------------------
# IPython syntax inside Python: notebook cells and ```python fences copied from them

_LINE_MAGIC = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?P<target>[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*)"
    r"[ \t]*=[ \t]*)?(?P<sigil>!(?!=)|%(?=[A-Za-z%]))"
)
_SHELL_MAGIC = re.compile(r"^(?:sx|system)\b[ \t]*")
_HELP = re.compile(r"^[ \t]*\??[A-Za-z_][\w.]*(?:\(\))?\?{1,2}[ \t]*$")
_PY_PROMPT = re.compile(r"^[ \t]*(?:>>>|\.\.\.|In \[\d*\]:|[ \t]*\.\.\.+:)(?: |$)")
_PY_PROMPT_START = re.compile(r"^[ \t]*(?:>>>|In \[\d*\]:)(?: |$)")

# `%%name` cell magics whose body is still Python, and those whose body is a shell script.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "memit", "debug", "cache"})
SHELL_CELL_MAGICS = frozenset({"bash", "sh", "shell", "zsh"})
# `%name statement` line magics that run their argument as Python (`%time r = client.chat...`), and their
# options that take a value (`%timeit -n 10 -r 3 stmt`, `%prun -s cumulative stmt`).
PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun", "memit"})
_VALUE_OPTIONS = frozenset({"-n", "-r", "-p", "-s", "-l", "-T", "-D"})
_MAGIC_WORD = re.compile(r"[ \t]*(\S+)")
_SCRIPT_SHELLS = frozenset({"bash", "sh", "zsh", "ksh", "dash"})


def strip_python_prompts(lines: Sequence[Line]) -> list[Line]:
    """A `>>>`/`In [1]:` session as the code typed: prompts cut off, output lines dropped.

    Left alone when the first line with text has no prompt (plain code)."""
    first = next((text for text, _, _ in lines if text.strip()), "")
    if not _PY_PROMPT_START.match(first):
        return list(lines)
    out: list[Line] = []
    for text, line, col in lines:
        match = _PY_PROMPT.match(text)
        if match is not None:
            out.append((text[match.end() :], line, col + match.end()))
    return out


def _writefile_kind(argument: str) -> str | None:
    from pathlib import Path

    from vlint.discover import kind_of

    words = [w for w in argument.split() if not w.startswith("-")]
    if not words:
        return None
    name = words[0].strip("'\"")
    if name.lower().endswith((".jsonl", ".ndjson")):
        return "jsonl"
    kind = kind_of(Path(name))
    return kind if kind in SNIPPET_EXTRACTORS else None


def ipython_cell(lines: Sequence[Line], label: str) -> tuple[list[Line], list[Snippet]]:
    """A cell (or a Python fence) read the way IPython runs it, without running anything.

    Returns the Python lines, with `%magic`, `!cmd` and `obj?` neutralised so libcst parses (`pass`, or
    `x = None` for `x = !cmd`), and the snippets of other kinds: each `!cmd`/`%sx cmd` line as shell, a
    `%%bash`/`%%script bash` cell as shell, a `%%writefile name.ext` cell as the kind of `name.ext`.
    """
    first = next((i for i, (text, _, _) in enumerate(lines) if text.strip()), None)
    if first is not None and lines[first][0].lstrip().startswith("%%"):
        head = lines[first][0].strip()[2:]
        name, _, argument = head.partition(" ")
        body = list(lines[first + 1 :])
        if name in PYTHON_CELL_MAGICS:
            return ipython_cell(body, label)
        kind = None
        if name in SHELL_CELL_MAGICS or (
            name == "script"
            and argument.split()[:1]
            and argument.split()[0].rsplit("/", 1)[-1] in _SCRIPT_SHELLS
        ):
            kind = "shell"
        elif name == "writefile":
            kind = _writefile_kind(argument)
        return [], ([snippet_from_lines(kind, body, label)] if kind and body else [])
    python: list[Line] = []
    shell: list[Snippet] = []
    for text, line, col in lines:
        match = _LINE_MAGIC.match(text)
        if match is None:
            if _HELP.match(text):
                text = " " * len(text)
            python.append((text, line, col))
            continue
        indent, target = match.group("indent"), match.group("target")
        rest_at = match.end()
        if match.group("sigil") == "!":
            rest_at += len(text[rest_at:]) - len(text[rest_at:].lstrip("!"))
            shell.append(
                snippet_from_lines(
                    "shell", [(text[rest_at:], line, col + rest_at)], f"`!` line of the {label}"
                )
            )
        elif not target and (statement := _line_magic_statement(text, rest_at)) is not None:
            # The statement keeps its host columns; the line becomes the statement at the magic's indent.
            python.append((indent + text[statement:], line, col + statement - len(indent)))
            continue
        else:
            magic = _SHELL_MAGIC.match(text, rest_at)
            if magic is not None:
                shell.append(
                    snippet_from_lines(
                        "shell",
                        [(text[magic.end() :], line, col + magic.end())],
                        f"`%sx` line of the {label}",
                    )
                )
        python.append((f"{indent}{target} = None" if target else f"{indent}pass", line, col))
    return python, shell


def _line_magic_statement(text: str, at: int) -> int | None:
    """Where the Python statement of a `%time`-like line magic starts in `text` (`at`: after the `%`), or
    None for any other magic or one with nothing to run."""
    name = _MAGIC_WORD.match(text, at)
    if name is None or name.group(1) not in PYTHON_LINE_MAGICS:
        return None
    pos = name.end()
    while (word := _MAGIC_WORD.match(text, pos)) is not None and word.group(1).startswith("-"):
        pos = word.end()
        if word.group(1) in _VALUE_OPTIONS and (value := _MAGIC_WORD.match(text, pos)) is not None:
            pos = value.end()
    start = len(text) - len(text[pos:].lstrip(" \t"))
    return start if text[start:].strip() else None


MAX_PYTHON_REPAIRS = 8
_AST_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def repair_python(lines: Sequence[Line]) -> list[Line]:
    """Docs Python with the few lines that stop it parsing blanked (`api_key=<YOUR_KEY>`, `$ pip install`).

    Documentation snippets are often not quite Python; one placeholder must not hide the client call
    below it. CPython's own parser names the offending line (libcst's positions are less exact), that
    line is blanked, and the parse is tried again, a few times at most. Text that still fails is left as
    is, and the caller drops the snippet's error.
    """
    work = list(lines)
    for _ in range(MAX_PYTHON_REPAIRS):
        try:
            with warnings.catch_warnings():  # `"\d"` in a README is not worth a SyntaxWarning on stderr
                warnings.simplefilter("ignore")
                compile(
                    "\n".join(text for text, _, _ in work) + "\n",
                    "<docs>",
                    "exec",
                    _AST_FLAGS,
                    dont_inherit=True,
                )
            return work
        except SyntaxError as exc:
            index = (exc.lineno or 0) - 1
            if not 0 <= index < len(work) or not work[index][0].strip():
                return work
            _, line, col = work[index]
            work[index] = ("", line, col)
        except (ValueError, RecursionError, MemoryError, OverflowError):
            return work
    return work
