"""Code blocks in Markdown (and MDX) and reStructuredText, each read by the extractor of its language.

Most copied base-model chat calls live in READMEs and docs pages, so their code blocks are linted like
code: a ```` ```python ```` fence goes to the Python extractor, ```` ```bash ```` to the shell extractor,
```` ```yaml ```` / ```` ```json ```` / ```` ```dockerfile ```` to theirs, each with a position map so a
finding points at the line in the `.md`/`.rst` file. Every fact gets `context="docs"` (a docs example is
advice others copy; `vlint.api` gives it `docs-severity`). Prose is never read, nor is a block inside an
HTML comment (code commented out of a page is not advice).

Blocks without a language are sniffed conservatively: a `$ ` transcript, Python that parses and calls a
client, or a command line that names vllm/curl/docker run (see `vlint.extract.text`). Unknown languages
(`js`, `go`, `output`...) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from vlint.extract.embed import (
    Line,
    Snippet,
    drop_env,
    extract_snippet,
    host_lines,
    ipython_cell,
    might_hold_facts,
    repair_python,
    snippet_from_lines,
    strip_python_prompts,
)
from vlint.extract.expansion import bounded
from vlint.extract.text import command_snippets, strip_prompt
from vlint.facts import FileFacts

CONTEXT = "docs"

# Language tag (lower-cased first word of the info string) -> what reads the block.
LANGUAGES: dict[str, str] = {
    **dict.fromkeys(
        (
            "python",
            "py",
            "python3",
            "py3",
            "ipython",
            "ipython3",
            "pycon",
            "pyrepl",
            "python-repl",
            "doctest",
            "jupyter",
            "notebook",
        ),
        "python",
    ),
    **dict.fromkeys(
        ("bash", "sh", "shell", "zsh", "ksh", "dash", "shellscript", "shell-script", "bash-script"), "shell"
    ),
    **dict.fromkeys(
        (
            "console",
            "shell-session",
            "shellsession",
            "sh-session",
            "bash-session",
            "terminal",
            "term",
            "session",
        ),
        "console",
    ),
    **dict.fromkeys(("yaml", "yml"), "yaml"),
    **dict.fromkeys(("json",), "json"),
    **dict.fromkeys(("jsonl", "ndjson", "jsonlines", "json-lines"), "jsonl"),
    **dict.fromkeys(("dockerfile", "docker", "containerfile"), "dockerfile"),
    **dict.fromkeys(("http", "rest", "restclient"), "http"),
    **dict.fromkeys(("", "text", "txt", "plaintext", "plain", "none", "nohighlight", "default"), "sniff"),
}


@dataclass(frozen=True)
class Block:
    """A code block: its language tag as written (normalised) and its body lines in host coordinates."""

    language: str
    lines: tuple[Line, ...]
    opened_at: int  # host line of the fence or directive, for messages

    @property
    def reader(self) -> str | None:
        return LANGUAGES.get(self.language)


_INFO_WORD = re.compile(r"[^\s{},:;=`]+")


# MyST directives written as fences: ```{code-block} python, ```{code-cell} ipython3 (MyST-NB cells).
_MYST = re.compile(r"^\{(?P<name>code-block|code|sourcecode|code-cell)\}\s*(?P<rest>.*)$", re.IGNORECASE)


def normalise_language(info: str) -> str:
    """`python`, `py title="x.py"`, `{.python .numberLines}`, `python{1,3}`, `python:main.py`,
    `{code-block} python` -> the language."""
    info = info.strip()
    myst = _MYST.match(info)
    if myst is not None:
        return normalise_language(myst.group("rest")) or (
            "python" if myst.group("name") == "code-cell" else ""
        )
    if info.startswith("{"):
        info = info[1:].lstrip().lstrip(".")
    match = _INFO_WORD.match(info)
    return match.group(0).lower().lstrip(".") if match else ""


# --------------------------------------------------------------------------------------------------
# Markdown: fenced code blocks

_QUOTE = re.compile(r"^[ ]{0,3}>[ ]?")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def _strip_quotes(text: str, depth: int) -> tuple[str, int] | None:
    """`text` without `depth` blockquote markers, and how many characters they took; None if it has fewer."""
    offset = 0
    for _ in range(depth):
        match = _QUOTE.match(text, offset)
        if match is None:
            return None
        offset = match.end()
    return text[offset:], offset


def _quote_depth(text: str) -> int:
    depth, offset = 0, 0
    while (match := _QUOTE.match(text, offset)) is not None:
        depth, offset = depth + 1, match.end()
    return depth


def markdown_blocks(lines: Sequence[Line]) -> Iterator[Block]:
    """The fenced code blocks of a Markdown text, CommonMark-style (lists and blockquotes included).

    An unclosed fence runs to the end of the text, as CommonMark says. Fences inside `<!-- -->` are
    skipped. Indented (four-space) code blocks are not read: without a language they are too often
    output or prose to sniff.
    """
    i, n = 0, len(lines)
    in_comment = False
    while i < n:
        text, host_line, col = lines[i]
        i += 1
        if in_comment:
            in_comment = "-->" not in text
            continue
        depth = _quote_depth(text)
        body_text = (_strip_quotes(text, depth) or (text, 0))[0]
        fence = _FENCE.match(body_text)
        if fence is None:
            start = text.rfind("<!--")
            if start >= 0 and "-->" not in text[start:]:
                in_comment = True
            continue
        marker, info = fence.group("fence"), fence.group("info")
        if marker[0] == "`" and "`" in info:
            continue  # ```inline``` code, not a fence
        indent = len(fence.group("indent").expandtabs(4))
        body: list[Line] = []
        while i < n:
            raw, line_no, line_col = lines[i]
            stripped = _strip_quotes(raw, depth)
            if stripped is None:
                break  # the blockquote ended, and the block with it
            inner, offset = stripped
            i += 1
            close = inner.strip()
            if close.startswith(marker) and set(close) == {marker[0]}:
                break
            cut = min(indent, len(inner) - len(inner.lstrip(" ")))
            body.append((inner[cut:], line_no, line_col + offset + cut))
        yield Block(normalise_language(info), tuple(body), host_line)


# --------------------------------------------------------------------------------------------------
# reStructuredText: code directives and `::` literal blocks

_DIRECTIVE = re.compile(
    r"^(?P<indent>[ \t]*)\.\.[ \t]+(?P<name>code-block|code|sourcecode|highlight-code|testcode|testsetup|doctest|"
    r"prompt|ipython|jupyter-execute|jupyter-input)[ \t]*::[ \t]*(?P<arg>.*)$",
    re.IGNORECASE,
)
_DIRECTIVE_LANGUAGE = {
    "testcode": "python",
    "testsetup": "python",
    "doctest": "pycon",
    "ipython": "ipython",
    "jupyter-execute": "python",
    "jupyter-input": "python",
}


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _indented_body(
    lines: Sequence[Line], start: int, parent_indent: int, *, options: bool
) -> tuple[list[Line], int]:
    """The lines indented deeper than `parent_indent` from `start` (after directive options), dedented."""
    j, n = start, len(lines)
    if options:
        while j < n and lines[j][0].strip().startswith(":") and _indent(lines[j][0]) > parent_indent:
            j += 1
    taken: list[int] = []
    while j < n:
        text = lines[j][0]
        if text.strip() and _indent(text) <= parent_indent:
            break
        taken.append(j)
        j += 1
    while taken and not lines[taken[-1]][0].strip():
        taken.pop()
    content = [lines[k] for k in taken]
    base = min((_indent(t) for t, _, _ in content if t.strip()), default=0)
    return [(t[base:], line, col + base) for t, line, col in content], j


def rst_blocks(lines: Sequence[Line]) -> Iterator[Block]:
    """`.. code-block:: lang` (and `code`, `sourcecode`, `prompt`, `doctest`...) and `::` literal blocks.

    A literal block has no language of its own, so it is sniffed like an untagged fence.
    """
    i, n = 0, len(lines)
    while i < n:
        text, host_line, _ = lines[i]
        directive = _DIRECTIVE.match(text)
        if directive is not None:
            name = directive.group("name").lower()
            language = normalise_language(directive.group("arg")) or _DIRECTIVE_LANGUAGE.get(name, "")
            if name in _DIRECTIVE_LANGUAGE and name != "prompt":
                language = _DIRECTIVE_LANGUAGE[name]
            body, i = _indented_body(lines, i + 1, _indent(text), options=True)
            yield Block(language, tuple(body), host_line)
            continue
        stripped = text.rstrip()
        if stripped.endswith("::") and not stripped.lstrip().startswith(".."):
            nxt = next((k for k in range(i + 1, n) if lines[k][0].strip()), None)
            if nxt is not None and nxt > i + 1 and _indent(lines[nxt][0]) > _indent(text):
                body, i = _indented_body(lines, i + 1, _indent(text), options=False)
                yield Block("", tuple(body), host_line)
                continue
        i += 1


# --------------------------------------------------------------------------------------------------
# Blocks to facts


def _first_text(lines: Sequence[Line]) -> str:
    return next((text for text, _, _ in lines if text.strip() and not text.lstrip().startswith("#")), "")


def _python_snippets(lines: Sequence[Line], label: str) -> list[Snippet]:
    python, others = ipython_cell(strip_python_prompts(lines), label)
    return ([snippet_from_lines("python", repair_python(python), label)] if python else []) + others


def _shell_snippets(lines: Sequence[Line], label: str, *, console: bool) -> list[Snippet]:
    """A transcript when it looks like one: a `bash` block whose first command has a `$ ` prompt, or a
    `console` block with any `$ `/`% ` prompt. A `console` block of bare commands (a common mislabel)
    is read as a script, or all its commands would be taken for output."""
    if console:
        console = any(strip_prompt(text, root_prompt=False) is not None for text, _, _ in lines)
        if console:
            return command_snippets(lines, console=True, root_prompt=True, label=label)
    if strip_prompt(_first_text(lines), root_prompt=False) is not None:
        return command_snippets(lines, console=True, root_prompt=False, label=label)
    return [snippet_from_lines("shell", lines, label)]


def _http_snippets(lines: Sequence[Line], label: str) -> list[Snippet]:
    """An HTTP request written out (`POST http://host/v1/chat/completions`, headers, blank line, body):
    its JSON body is a request body like a `.json` file's."""
    request_line = next((i for i, (text, _, _) in enumerate(lines) if text.strip()), None)
    if request_line is None or "/v1/" not in lines[request_line][0]:
        return []
    blank = next((i for i in range(request_line + 1, len(lines)) if not lines[i][0].strip()), None)
    body = list(lines[blank + 1 :]) if blank is not None else []
    return [snippet_from_lines("json", body, label)] if body else []


def _sniff(block: Block, path: str, label: str) -> FileFacts:
    """An untagged block: a transcript, then Python with a client call, then command lines; else nothing."""
    facts = FileFacts(path, "markdown")
    if strip_prompt(_first_text(block.lines), root_prompt=False) is not None:
        for snippet in command_snippets(block.lines, console=True, root_prompt=False, label=label):
            facts.extend(extract_snippet(snippet, path, CONTEXT, keep_errors=False))
        return facts
    python = extract_snippet(
        snippet_from_lines("python", strip_python_prompts(block.lines), label), path, CONTEXT
    )
    if not python.errors and (python.requests or python.serves):
        return python
    for snippet in command_snippets(block.lines, label=label):
        facts.extend(extract_snippet(snippet, path, CONTEXT, keep_errors=False))
    return facts


def block_facts(block: Block, path: str) -> FileFacts:
    """The facts of one code block, in host coordinates; a docs block's parse errors are dropped.

    Pseudo-code that does not parse is normal in documentation and says nothing about the page.
    """
    label = f"code block at line {block.opened_at}"
    reader = block.reader
    body_text = "\n".join(text for text, _, _ in block.lines)
    if reader is None or not block.lines or not might_hold_facts(body_text):
        return FileFacts(path, "markdown")
    if reader == "sniff":
        facts = _sniff(block, path, label)
    else:
        if reader == "python":
            snippets = _python_snippets(block.lines, label)
        elif reader in ("shell", "console"):
            snippets = _shell_snippets(block.lines, label, console=reader == "console")
        elif reader == "http":
            snippets = _http_snippets(block.lines, label)
        else:
            snippets = [snippet_from_lines(reader, block.lines, label)]
        facts = FileFacts(path, "markdown")
        for snippet in snippets:
            facts.extend(extract_snippet(snippet, path, CONTEXT, keep_errors=False))
    return drop_env(facts)


def _page_python(parts: list[tuple[str, list[Line]]], path: str) -> FileFacts:
    """A page's Python blocks read as one module, in order, as a reader runs them: a name set in one
    block (`MODEL = "..."`) is what a later block's call uses. If the whole does not parse, each block
    is read alone (and its errors dropped, as for any docs block)."""
    joined = [line for _, lines in parts for line in lines]
    if not joined:
        return FileFacts(path, "markdown")
    facts = extract_snippet(snippet_from_lines("python", joined, "Python blocks"), path, CONTEXT)
    if not facts.errors:
        return facts
    facts = FileFacts(path, "markdown")
    for label, lines in parts:
        facts.extend(
            extract_snippet(snippet_from_lines("python", lines, label), path, CONTEXT, keep_errors=False)
        )
    return facts


def facts_of_blocks(blocks: Iterator[Block], path: str, kind: str) -> FileFacts:
    """The facts of every block of a page; Python blocks together (see `_page_python`)."""
    facts = FileFacts(path, kind)
    python: list[tuple[str, list[Line]]] = []
    for block in blocks:
        if block.reader != "python" or not block.lines:
            facts.extend(block_facts(block, path))
            continue
        label = f"code block at line {block.opened_at}"
        lines, others = ipython_cell(strip_python_prompts(block.lines), label)
        if lines:
            python.append((label, repair_python(lines)))
        for snippet in others:
            facts.extend(extract_snippet(snippet, path, CONTEXT, keep_errors=False))
    facts.extend(_page_python(python, path))
    return drop_env(facts)


# The cheap pre-check: no fence marker (or rST directive/literal marker) means no code block, and no
# relevant word (see `embed.RELEVANT_WORDS`) means no block can yield a fact. Either way nothing is lost.
_MARKDOWN_MARKERS = ("```", "~~~")
_RST_MARKERS = ("::",)


@bounded
def extract_markdown(text: str, path: str) -> FileFacts:
    """Facts from the fenced code blocks of a Markdown or MDX file (context "docs")."""
    if not any(m in text for m in _MARKDOWN_MARKERS) or not might_hold_facts(text):
        return FileFacts(path, "markdown")
    return facts_of_blocks(markdown_blocks(host_lines(text)), path, "markdown")


@bounded
def extract_rst(text: str, path: str) -> FileFacts:
    """Facts from the code directives and literal blocks of a reStructuredText file (context "docs")."""
    if not any(m in text for m in _RST_MARKERS) or not might_hold_facts(text):
        return FileFacts(path, "rst")
    return facts_of_blocks(rst_blocks(host_lines(text)), path, "rst")
