"""Shell scripts -> facts, on tree-sitter-bash (an error-tolerant real parser; nothing is executed).

Why tree-sitter-bash and not bashlex: bashlex (pure Python) raises on `case`, arrays and quoted heredoc
delimiters (`cat <<'EOF' | curl ...`), and one unsupported construct loses the whole file; tree-sitter
parses all of them, keeps going past syntax errors (an ERROR node, the rest intact), gives exact
positions, and parses in C. The only quirk met: a heredoc followed by more redirections on the same line
can garble its body, so heredoc bodies are also read straight from the source lines.

Words become `Token`s: quote removal done, `$NAME`/`${NAME:-x}` left as text (with `quoted=False`) for
`vlint.extract.cmdline` to resolve through the variables seen so far, so resolved values keep their
provenance. Each command's argv goes to `cmdline.dispatch.facts_from_argv` with this module's
`extract_shell` as the reader of shell strings nested in it (`bash -c "..."`), so cmdline never imports
this module.
Single-quoted text is final (`quoted=True`). Assignments, `export`, `local`, `declare` update the variables
in source order; top-level ones are emitted as `EnvBinding`s. Command substitutions, arrays and loop
variables stay unresolved.
"""

from __future__ import annotations

import copy
import threading
from collections import ChainMap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vlint.extract.cmdline.dispatch import facts_from_argv
from vlint.extract.cmdline.heads import may_launch, mentions_launch, mentions_program
from vlint.extract.cmdline.variables import resolve_text
from vlint.extract.expansion import bounded
from vlint.extract.placeholders import mask_placeholders
from vlint.extract.positions import PositionMap, Token
from vlint.extract.shell_recovery import error_rows, repair_known_gaps, reparse_budget, statements
from vlint.extract.shell_words import ansi_c, unescape_dq, unescape_word
from vlint.facts import EnvBinding, FileFacts, Location, ParseError, Request, Serve, Value


@lru_cache(maxsize=1)
def _language() -> Any:
    import tree_sitter_bash
    from tree_sitter import Language

    return Language(tree_sitter_bash.language())


_local = threading.local()


def _parser() -> Any:
    """One parser per thread (a tree-sitter Parser is not safe to share), built once."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        from tree_sitter import Parser

        parser = _local.parser = Parser(_language())
    return parser


# Every non-ASCII byte to `x` in one pass (`re.sub` over a megabyte of non-ASCII text built a million
# pieces first: 180 MB).
_TO_ASCII = bytes(range(128)) + b"x" * 128


def _ascii_shadow(src: bytes) -> bytes:
    """The bytes the parser sees: every non-ASCII byte replaced by `x`, so byte offsets are unchanged.

    tree-sitter-bash's external scanner crashed the process (a segfault, not an exception) on some
    input with non-ASCII characters, found by fuzzing (tree-sitter 0.25/0.26, grammar 0.23/0.25). In
    shell syntax non-ASCII bytes can only be word characters, so the parse is the same; words are
    still read from the original bytes.
    """
    return src.translate(_TO_ASCII) if not src.isascii() else src


def extract_shell_file(text: str, path: str) -> FileFacts:
    """A whole shell file: syntax errors are reported (the rest of the file is still read)."""
    return extract_shell(text, path, report_errors=True)


@bounded
def extract_shell(text: str, path: str, *, positions: PositionMap | None = None,
                  env: Mapping[str, Value] | None = None, context: str = "code",
                  report_errors: bool = False, nesting: int = 0) -> FileFacts:
    """Facts from shell text, a whole file or a snippet embedded in another format.

    `positions` maps snippet lines to the host file; `env` holds variables known before the snippet
    runs (Dockerfile ENV/ARG, a k8s `env:`). Text that names none of vllm/curl/docker/podman cannot
    hold a launch or a request, so only its top-level assignments are read (for other files' use).
    `nesting`: how many shells deep the text is (a `bash -c` string read from another script).
    """
    facts = FileFacts(path, "shell")
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # CRLF scripts: same lines, no `\r` in words or continuations
    commands = mentions_launch(text) or mentions_program(text)
    if commands:
        text = mask_placeholders(text)  # `curl http://<service-ip>:80/...` in docs: a word, not redirections
    if not commands and "=" not in text:
        return facts  # no launch, no request and no assignment: nothing to parse for
    src = text.encode("utf-8", "surrogatepass")
    shadow = _ascii_shadow(src)
    try:
        tree = _parser().parse(shadow)
        if tree.root_node.has_error and (repaired := repair_known_gaps(shadow)) != shadow:
            shadow, tree = repaired, _parser().parse(repaired)
    except Exception as exc:  # pragma: no cover - the parser is total over bytes
        facts.errors.append(ParseError(path, f"shell parser failed: {exc}"))
        return facts
    walker = _Walker(src, path, positions, env, context, facts, commands=commands, nesting=nesting)
    lost: list[int] = []
    try:
        if tree.root_node.has_error:
            lost = walker.recover(tree.root_node, shadow)
        else:
            walker.walk(tree.root_node, top=True)
    except RecursionError:
        facts.errors.append(ParseError(path, "shell nesting too deep to read"))
    if report_errors and lost:
        _report_lost(walker, lost, path)
    return facts


def _report_lost(walker: _Walker, lost: list[int], path: str) -> None:
    """An error entry for the statements recovery could not read, when one of them could hold a launch or a
    request (or when nothing at all was read): vlint would otherwise miss it without a word."""
    launch_rows = [row for row in lost if mentions_launch(walker.lines[row].decode("utf-8", "replace"))]
    if not launch_rows and walker.read_any:
        return
    rows = launch_rows or lost
    more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
    walker.facts.errors.append(ParseError(
        path, f"shell syntax error: line {walker.loc_of(rows[0], 0).line}{more} could not be read "
              f"(the rest of the file was)" if walker.read_any else "shell syntax error: nothing could be read",
        walker.loc_of(rows[0], 0).line))


def argv_facts(argv: Sequence[Token], **options: Any) -> tuple[list[Serve], list[Request]]:
    """`facts_from_argv` with shell strings nested in argv read by this extractor: what hosts of argv
    lists (a Dockerfile exec form, a YAML `command:` list, a Python subprocess call) call."""
    return facts_from_argv(argv, read_shell=extract_shell, **options)


_EXPANSIONS = {"simple_expansion", "expansion", "command_substitution", "arithmetic_expansion",
               "process_substitution"}
_STDIN_PASS = {"cat"}


@dataclass(frozen=True)
class _Word:
    text: str  # after quote removal, expansions left as written
    shell_text: str  # the same, keeping backslash-newlines: what a nested `sh -c` parses
    literal: bool  # no expansion anywhere
    start: tuple[int, int]  # (row, byte column) of the first content character
    is_string: bool


class _Walker:
    def __init__(self, src: bytes, path: str, positions: PositionMap | None, env: Mapping[str, Value] | None,
                 context: str, facts: FileFacts, *, commands: bool, nesting: int) -> None:
        self.src = src
        self.lines = src.split(b"\n")
        self.path = path
        self.positions = positions
        # The script's own assignments layered over what it inherits, never a copy of it: a script of
        # 20,000 assignments and 20,000 `bash -c` lines copied 20,000 variables per nested shell.
        self.env: ChainMap[str, Value | None] = ChainMap({}, env or {})
        self.nesting = nesting
        self.context = context
        self.facts = facts
        self.commands = commands
        self.token_maps: dict[Token, tuple[str, PositionMap]] = {}
        self.row_offset = 0  # a statement re-parsed on its own starts at this row of the script
        self.read_any = False  # whether recovery read any statement

    # -- positions -----------------------------------------------------------------------------------

    def loc_of(self, row: int, byte_col: int) -> Location:
        line = self.lines[row] if row < len(self.lines) else b""
        col = byte_col if line.isascii() else len(line[:byte_col].decode("utf-8", "replace"))
        row += self.row_offset
        if self.positions is not None:
            return self.positions.locate(self.path, row + 1, col + 1)
        return Location(self.path, row + 1, col + 1)

    # -- recovery ------------------------------------------------------------------------------------

    def recover(self, root: Any, shadow: bytes) -> list[int]:
        """Walk a script that has syntax errors statement by statement: the top-level statements clear of
        errors as parsed, each error region re-parsed by `shell_recovery.statements` (in source order, so
        variables flow as they would). Returns the rows no statement could take."""
        regions = error_rows(root)
        in_region = [False] * len(self.lines)
        for first, last in regions:
            in_region[first:last + 1] = [True] * (last + 1 - first)
        events: list[tuple[int, int, Any]] = [(first, 1, (first, last)) for first, last in regions]
        events += [(child.start_point[0], 0, child) for child in root.children
                   if not any(in_region[child.start_point[0]:child.end_point[0] + 1])]
        shadow_lines = shadow.split(b"\n")
        budget = reparse_budget(len(shadow))
        lost: list[int] = []
        parse = _parser().parse
        for _row, is_region, item in sorted(events, key=lambda e: (e[0], e[1])):
            if not is_region:
                self.read_any |= item.type != "comment"
                self.walk(item, top=True)
                continue
            found = statements(shadow_lines, item[0], item[1], parse, budget)
            lost += found.lost
            for row, piece, tree in found.pieces:
                self.read_any = True
                self.piece(row, piece.count(b"\n") + 1).walk(tree.root_node, top=not self.lines[row][:1].isspace())
        return lost

    def piece(self, row: int, count: int) -> _Walker:
        """This walker for rows `row..row+count-1` re-parsed alone (same variables, facts and positions)."""
        sub = copy.copy(self)
        sub.src = b"\n".join(self.lines[row:row + count])
        sub.lines = self.lines[row:row + count]
        sub.row_offset = self.row_offset + row
        return sub

    def node_loc(self, node: Any) -> Location:
        return self.loc_of(node.start_point[0], node.start_point[1])

    def raw(self, node: Any) -> str:
        return self.src[node.start_byte:node.end_byte].decode("utf-8", "replace")

    # -- statements ----------------------------------------------------------------------------------

    def walk(self, node: Any, top: bool = False) -> None:
        kind = node.type
        if kind == "comment":
            return
        if kind == "variable_assignment":
            self.assign(node, top=top, export=False)
            return
        if kind == "declaration_command":
            self.declaration(node, top=top)
            return
        if kind == "unset_command":
            for child in node.named_children:
                self.env[self.raw(child)] = None  # hides an inherited value too
            return
        if not self.commands:
            # No launch can be in this text: only top-level assignments matter (for other files).
            if kind == "program":
                for child in node.children:
                    self.walk(child, top=True)
            return
        if kind == "command":
            self.command(node, stdin=None)
            return
        if kind == "redirected_statement":
            self.redirected(node)
            return
        if kind == "pipeline":
            self.pipeline(node)
            return
        if kind == "for_statement":
            var = node.child_by_field_name("variable")
            if var is not None:
                self.env[self.raw(var)] = Value(None, self.node_loc(var), note="a for-loop variable")
        for child in node.children:
            self.walk(child, top=top and kind == "program")

    def declaration(self, node: Any, *, top: bool) -> None:
        keyword = node.children[0].type if node.children else ""
        is_array = any(c.type == "word" and self.raw(c).startswith("-") and ("a" in self.raw(c) or "A" in
                       self.raw(c)) for c in node.children)
        for child in node.children:
            if child.type == "variable_assignment":
                self.assign(child, top=top, export=keyword == "export", array=is_array)
        if self.commands:
            for child in node.children:
                self.walk_substitutions(child)

    def assign(self, node: Any, *, top: bool, export: bool, array: bool = False) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None or name_node.type != "variable_name":
            return
        name = self.raw(name_node)
        value_node = node.child_by_field_name("value")
        loc = self.node_loc(node)
        if value_node is None:
            value = Value("", loc)
        elif array or value_node.type == "array":
            value = Value(None, loc, note="an array")
        else:
            word = self.word(value_node)
            if next(_substitutions(value_node), None) is not None:
                value = Value(None, loc, note="set from a command substitution")
            else:
                value = resolve_text(word.text, loc, self.env, quoted=word.literal, k8s_refs=False)
                value = Value(value.literal, loc, note=value.note, env=value.env, is_default=value.is_default)
            if self.commands:
                self.walk_substitutions(value_node)
        self.env[name] = value
        if top:
            self.facts.env.append(EnvBinding(name, value, scope="export" if export else "file"))

    def walk_substitutions(self, node: Any) -> None:
        """Commands inside `$(...)` run too (`R=$(curl ... /v1/chat/completions ...)`)."""
        for n in _substitutions(node):
            for child in n.named_children:
                self.walk(child)

    def redirected(self, node: Any) -> None:
        body = node.child_by_field_name("body")
        stdin: Token | None = None
        trailing: list[Any] = []
        for child in node.children:
            if child.type == "heredoc_redirect":
                stdin = self.heredoc(child)
                trailing.extend(c for c in child.named_children
                                if c.type not in ("heredoc_start", "heredoc_body", "heredoc_end", "file_redirect"))
            elif child.type == "herestring_redirect":
                stdin = self.herestring(child)
        if body is not None and body.type == "command":
            self.command(body, stdin=stdin)
            name = _command_name(body, self)
            passes = stdin if name in _STDIN_PASS else None
        else:
            if body is not None:
                self.walk(body)
            passes = None
        for extra in trailing:
            # `cat <<EOF | curl ... -d @-`: tree-sitter nests the rest of the pipeline in the heredoc node.
            if extra.type == "pipeline":
                self.pipeline(extra, stdin=passes)
            else:
                self.walk(extra)

    def pipeline(self, node: Any, stdin: Token | None = None) -> None:
        feed = stdin
        for child in node.children:
            if child.type in ("|", "|&"):
                continue
            if child.type == "command":
                self.command(child, stdin=feed)
                feed = self.output_of(child, feed)
            else:
                self.walk(child)
                feed = None

    def output_of(self, node: Any, stdin: Token | None) -> Token | None:
        """What `echo`/`printf`/`cat` write to the pipe, when it is literal enough to be a request body."""
        name = _command_name(node, self)
        if name not in ("cat", "echo", "printf"):
            return None
        args = [c for i, c in enumerate(node.children) if node.field_name_for_child(i) == "argument"]
        if name == "cat" and not args:
            return stdin
        if name == "echo":
            words = [self.word(a) for a in args if not self.raw(a).startswith("-")]
        elif name == "printf" and args:
            fmt = self.word(args[0])
            words = [self.word(a) for a in args[1:2]] if "%" in fmt.text else [fmt]
        else:
            return None
        if not words:
            return None
        text = " ".join(w.text for w in words)
        return Token(text, self.loc_of(*words[0].start), all(w.literal for w in words))

    def heredoc(self, node: Any) -> Token | None:
        start = next((c for c in node.children if c.type == "heredoc_start"), None)
        if start is None:
            return None
        delim_raw = self.raw(start)
        quoted = any(q in delim_raw for q in ("'", '"', "\\"))
        delim = delim_raw.strip("'\"").replace("\\", "")
        strip_tabs = any(c.type == "<<-" for c in node.children)
        body = next((c for c in node.children if c.type == "heredoc_body"), None)
        first_row = start.end_point[0] + 1
        text = None
        if body is not None and body.end_byte > body.start_byte:
            text = self.src[body.start_byte:body.end_byte].decode("utf-8", "replace")
            first_row = body.start_point[0]
            if body.start_point[1] > 0:  # `<<-`: tree-sitter starts after the tabs
                text = self.lines[first_row][:body.start_point[1]].decode("utf-8", "replace") + text
        else:
            # Read the body from the source lines (tree-sitter can garble it after extra redirections).
            collected: list[str] = []
            for row in range(first_row, len(self.lines)):
                line = self.lines[row].decode("utf-8", "replace")
                if (line.lstrip("\t") if strip_tabs else line) == delim:
                    break
                collected.append(line)
            text = "\n".join(collected)
        if strip_tabs:
            text = "\n".join(line.lstrip("\t") for line in text.split("\n"))
        return Token(text, self.loc_of(first_row, 0), quoted=quoted or "$" not in text)

    def cat_heredoc(self, node: Any) -> Token | None:
        """`"$(cat <<EOF ... EOF)"`: a request body written inline; the heredoc is the word's value."""
        inner = node
        if inner.type == "string" and len(inner.named_children) == 1:
            inner = inner.named_children[0]
        if inner.type != "command_substitution" or len(inner.named_children) != 1:
            return None
        stmt = inner.named_children[0]
        if stmt.type != "redirected_statement":
            return None
        body = stmt.child_by_field_name("body")
        if body is None or body.type != "command" or _command_name(body, self) != "cat":
            return None
        redirect = next((c for c in stmt.children if c.type == "heredoc_redirect"), None)
        return self.heredoc(redirect) if redirect is not None else None

    def herestring(self, node: Any) -> Token | None:
        words = [c for c in node.named_children]
        if not words:
            return None
        w = self.word(words[0])
        return Token(w.text, self.loc_of(*w.start), w.literal)

    # -- commands ------------------------------------------------------------------------------------

    def command(self, node: Any, stdin: Token | None) -> None:
        name = node.child_by_field_name("name")
        if name is not None and not may_launch(self.raw(name).strip("'\"")):
            for child in node.children:  # `make`, `echo`, ...: only their $(...) can hold a launch
                self.walk_substitutions(child)
            return
        tokens: list[Token] = []
        for idx, child in enumerate(node.children):
            field = node.field_name_for_child(idx)
            if child.type == "variable_assignment":
                tokens.append(self.assignment_token(child))
            elif child.type == "command_name":
                inner = child.named_children[0] if child.named_children else child
                tokens.extend(self.split_tokens(inner))
            elif field == "argument":
                tokens.extend(self.split_tokens(child))
            elif child.type == "herestring_redirect" and stdin is None:
                stdin = self.herestring(child)
            self.walk_substitutions(child)
        if not tokens:
            return
        serves, requests = argv_facts(tokens, env=self.env, context=self.context, stdin=stdin, k8s_refs=False,
                                      token_maps=self.token_maps, nesting=self.nesting, runs=self.facts.runs)
        self.facts.serves.extend(serves)
        self.facts.requests.extend(requests)

    def split_tokens(self, node: Any) -> list[Token]:
        """An unquoted `$ARGS` whose value has spaces is several words (field splitting)."""
        if node.type in ("simple_expansion", "expansion"):
            tok = self.token(node)
            value = resolve_text(tok.text, tok.location, self.env, k8s_refs=False)
            if isinstance(value.literal, str) and (len(value.literal.split()) > 1 or not value.literal.strip()):
                return [Token(word, tok.location, True) for word in value.literal.split()]
            return [tok]
        return [self.token(node)]

    def assignment_token(self, node: Any) -> Token:
        value = node.child_by_field_name("value")
        name = node.child_by_field_name("name")
        prefix = self.raw(name) + "=" if name is not None else ""
        if value is None:
            return Token(prefix, self.node_loc(node), True)
        word = self.word(value)
        return Token(prefix + word.text, self.node_loc(node), word.literal)

    def token(self, node: Any) -> Token:
        inline = self.cat_heredoc(node)
        if inline is not None:
            return inline
        word = self.word(node)
        tok = Token(word.text, self.loc_of(*word.start), word.literal)
        if word.is_string:
            self.token_maps[tok] = (word.shell_text, self.string_map(word))
        return tok

    def string_map(self, word: _Word) -> PositionMap:
        row, col = word.start
        n = word.shell_text.count("\n") + 1
        rows = []
        for k in range(n):
            loc = self.loc_of(row + k, col if k == 0 else 0)
            rows.append((loc.line, loc.column - 1))
        return PositionMap(tuple(rows))

    # -- words ---------------------------------------------------------------------------------------

    def word(self, node: Any) -> _Word:
        kind = node.type
        if kind == "raw_string":
            text = self.raw(node)[1:-1]
            return _Word(text, text, True, (node.start_point[0], node.start_point[1] + 1), True)
        if kind == "string":
            return self.dq_string(node)
        if kind == "ansi_c_string":
            text = ansi_c(self.raw(node)[2:-1])
            return _Word(text, text, True, (node.start_point[0], node.start_point[1] + 2), True)
        if kind in _EXPANSIONS:
            text = self.raw(node)
            return _Word(text, text, False, node.start_point, False)
        if kind == "concatenation":
            parts = [self.word(c) for c in node.children]
            text = "".join(p.text for p in parts)
            shell = "".join(p.shell_text for p in parts)
            return _Word(text, shell, all(p.literal for p in parts), node.start_point,
                         any(p.is_string for p in parts))
        raw = self.raw(node)
        if kind in ("word", "number"):
            text = unescape_word(raw)
            return _Word(text, text, "$" not in raw or "\\$" in raw, node.start_point, False)
        return _Word(raw, raw, "$" not in raw, node.start_point, False)

    def dq_string(self, node: Any) -> _Word:
        out: list[str] = []
        shell: list[str] = []
        literal = True
        cursor = node.start_byte + 1
        end = node.end_byte - 1
        for child in node.children:
            if child.type in _EXPANSIONS:
                gap = self.src[cursor:child.start_byte].decode("utf-8", "replace")
                out.append(unescape_dq(gap, keep_newline=False))
                shell.append(unescape_dq(gap, keep_newline=True))
                text = self.raw(child)
                out.append(text)
                shell.append(text)
                literal = False
                cursor = child.end_byte
        if end >= cursor:
            gap = self.src[cursor:end].decode("utf-8", "replace")
            out.append(unescape_dq(gap, keep_newline=False))
            shell.append(unescape_dq(gap, keep_newline=True))
        return _Word("".join(out), "".join(shell), literal, (node.start_point[0], node.start_point[1] + 1), True)


def _command_name(node: Any, walker: _Walker) -> str:
    name = node.child_by_field_name("name")
    return walker.raw(name).rsplit("/", 1)[-1] if name is not None else ""


_SUBSTITUTIONS = ("command_substitution", "process_substitution")


def _substitutions(node: Any) -> Iterator[Any]:
    """The outermost `$(...)`/`<(...)` in a node: the ones nested in them are met when their commands are
    walked, so each is walked once (walking every nested one from every level above was cubic in the
    nesting: 200 levels of `$(echo $(echo ...` took minutes)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in _SUBSTITUTIONS:
            yield n
        else:
            stack.extend(n.children)
