"""Dockerfiles -> facts: the launch the final stage runs, plus anything `RUN` does.

Docker's rules followed here, because they decide what actually starts:
- the last `FROM` stage is the image; `FROM stage` inherits that stage's ENV, ENTRYPOINT and CMD;
- argv is ENTRYPOINT + CMD; a shell-form ENTRYPOINT ignores CMD; setting ENTRYPOINT drops an inherited
  CMD; with neither set in the file, a `vllm/vllm-openai` base keeps its `vllm serve` entrypoint, so a
  CMD of bare flags is `vllm serve` flags;
- exec form (a JSON array, continuations allowed) is not expanded by any shell, so `$VAR` stays literal
  there; shell form and `RUN` go through the shell extractor with ENV (and, for RUN, ARG) values;
- comment lines inside a continuation are dropped; `# escape=` changes the continuation character.
Reported lines are those of the CMD/ENTRYPOINT (or the exact token) in this file.
"""

from __future__ import annotations

import json
import re
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from vlint.extract.cmdline.docker import image_kind
from vlint.extract.cmdline.servers import image_server
from vlint.extract.cmdline.variables import join_notes, resolve_text
from vlint.extract.expansion import bounded, current_budget
from vlint.extract.positions import PositionMap, Token
from vlint.extract.shell import argv_facts, extract_shell
from vlint.facts import EnvBinding, FileFacts, Location, Request, Serve, Value

_DIRECTIVE_RE = re.compile(r"^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$")
_SHELLS = ("sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/env")


@dataclass(frozen=True)
class _Piece:
    line: int  # 1-based host line
    col: int  # 0-based column where `text` starts
    text: str


@dataclass(frozen=True)
class _Instruction:
    keyword: str
    pieces: tuple[_Piece, ...]  # the arguments, one piece per physical line (comments dropped)
    line: int

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.pieces)


@dataclass(frozen=True)
class _Command:
    exec_tokens: tuple[Token, ...] | None
    instruction: _Instruction


@dataclass
class _Stage:
    name: str | None
    image: str
    env: dict[str, Value] = field(default_factory=dict)  # ENV: present when the container runs
    args: dict[str, Value] = field(default_factory=dict)  # ARG: build time only
    entrypoint: _Command | None = None
    cmd: _Command | None = None
    env_size: int = 0  # characters of `env`, what a stage inheriting it copies (see `_from`)
    line: int = 1  # the FROM line


@bounded
def extract_dockerfile(text: str, path: str) -> FileFacts:
    facts = FileFacts(path, "dockerfile")
    instructions = _instructions(text)
    global_args: dict[str, Value] = {}
    stages: list[_Stage] = []
    named: dict[str, _Stage] = {}  # the last stage of each name, what `FROM name` builds on
    for ins in instructions:
        kw = ins.keyword
        stage = stages[-1] if stages else None
        if kw == "FROM":
            stages.append(_from(ins, global_args, named, path))
            if stages[-1].name:
                named[stages[-1].name] = stages[-1]
        elif kw == "ARG":
            target = stage.args if stage else global_args
            for name, value in _pairs(ins, path, ChainMap(target, stage.env if stage else {}, global_args), arg=True):
                if value.literal is None and name in global_args:
                    value = global_args[name]  # `ARG NAME` re-imports a global ARG into the stage
                target[name] = value
        elif kw == "ENV" and stage is not None:
            for name, value in _pairs(ins, path, ChainMap(stage.env, stage.args), arg=False):
                stage.env[name] = value
                stage.env_size += len(name) + len(str(value.literal or "")) + 1
                facts.env.append(EnvBinding(name, value, scope="file"))
        elif kw == "ENTRYPOINT" and stage is not None:
            stage.entrypoint = _command(ins, path)
            stage.cmd = None  # Docker: setting ENTRYPOINT resets a CMD inherited from the base
        elif kw == "CMD" and stage is not None:
            stage.cmd = _command(ins, path)
        elif kw == "RUN" and stage is not None:
            _run(ins, stage, path, facts)
    if stages:
        _launch(stages[-1], path, facts)
    return facts


# --- reading instructions ---------------------------------------------------------------------------------


def _instructions(text: str) -> list[_Instruction]:
    lines = text.splitlines()
    escape = "\\"
    i = 0
    # Parser directives: only at the very top, before any comment, blank line or instruction.
    while i < len(lines):
        m = _DIRECTIVE_RE.match(lines[i].strip())
        if not m:
            break
        if m.group(1).lower() == "escape" and m.group(2) in ("`", "\\"):
            escape = m.group(2)
        i += 1
    out: list[_Instruction] = []
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = len(raw) - len(raw.lstrip())
        m = re.match(r"([A-Za-z]+)(\s+|$)", raw[start:])
        if not m:
            i += 1
            continue
        keyword = m.group(1).upper()
        first_col = start + m.end()
        pieces: list[_Piece] = []
        line_no = i + 1
        col = first_col
        body = raw[col:]
        heredoc = (
            re.search(r"<<-?\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?", body) if keyword == "RUN" else None
        )
        while True:
            cont = body.rstrip().endswith(escape) and not heredoc
            piece_text = body.rstrip()[:-1] if cont else body
            pieces.append(_Piece(i + 1, col, piece_text + (" \\" if cont else "")))
            i += 1
            if not cont:
                break
            # skip comment lines (and, like Docker, empty lines) inside a continuation
            while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1
            if i >= len(lines):
                break
            body, col = lines[i], 0
        if heredoc:
            delim = heredoc.group(1)
            while i < len(lines):
                pieces.append(_Piece(i + 1, 0, lines[i]))
                i += 1
                if lines[i - 1].strip() == delim:
                    break
        out.append(_Instruction(keyword, tuple(pieces), line_no))
    return out


def _positions(ins: _Instruction) -> PositionMap:
    return PositionMap.from_lines([(p.line, p.col) for p in ins.pieces])


def _words(ins: _Instruction) -> list[tuple[str, bool, Location | None, int]]:
    """Split arguments on whitespace honouring quotes: (text, literal, piece index, column)."""
    out: list[tuple[str, bool, Location | None, int]] = []
    for pi, piece in enumerate(ins.pieces):
        text = piece.text[:-2] if piece.text.endswith(" \\") else piece.text
        k = 0
        while k < len(text):
            if text[k].isspace():
                k += 1
                continue
            start = k
            buf: list[str] = []
            literal = True
            quote = None
            while k < len(text) and (quote or not text[k].isspace()):
                ch = text[k]
                if quote:
                    if ch == quote:
                        quote = None
                    elif ch == "\\" and quote == '"' and k + 1 < len(text):
                        buf.append(text[k + 1])
                        k += 1
                    else:
                        buf.append(ch)
                        if ch == "$" and quote == '"':
                            literal = False
                elif ch in "'\"":
                    quote = ch
                elif ch == "\\" and k + 1 < len(text):
                    buf.append(text[k + 1])
                    k += 1
                else:
                    buf.append(ch)
                    if ch == "$":
                        literal = False
                k += 1
            out.append(("".join(buf), literal, Location("", piece.line, piece.col + start + 1), pi))
    return out


def _pairs(ins: _Instruction, path: str, env: Mapping[str, Value], *, arg: bool) -> list[tuple[str, Value]]:
    """`ENV a=1 b="x y"`, legacy `ENV a value with spaces`, `ARG name[=default]`.

    `env` is a view of the variables in scope, never a copy: copying them for each of 100,000 `ENV` lines
    was quadratic.
    """
    words = _words(ins)
    out: list[tuple[str, Value]] = []
    scope = ChainMap({}, env)
    if not arg and words and "=" not in words[0][0]:
        # legacy form: ENV KEY the rest of the line
        name = words[0][0]
        loc = Location(path, ins.line, words[0][2].column if words[0][2] else 1)
        rest = " ".join(w[0] for w in words[1:])
        value = resolve_text(rest, loc, scope, quoted=all(w[1] for w in words[1:]), k8s_refs=False)
        return [(name, replace(value, location=loc))]
    for text, literal, wloc, _ in words:
        name, eq, val = text.partition("=")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            continue
        loc = Location(path, wloc.line if wloc else ins.line, wloc.column if wloc else 1)
        if not eq:
            value = Value(None, loc, note=f"ARG {name} has no default (set with --build-arg)", env=name)
        else:
            value = resolve_text(val, loc, scope, quoted=literal, k8s_refs=False)
            value = Value(value.literal, loc, note=value.note, env=value.env, is_default=value.is_default)
            if arg:
                value = Value(
                    value.literal,
                    loc,
                    note=join_notes(value.note, f"ARG default (--build-arg {name} overrides)"),
                    env=value.env,
                    is_default=value.is_default,
                )
        scope[name] = value
        out.append((name, value))
    return out


def _from(ins: _Instruction, global_args: dict[str, Value], named: Mapping[str, _Stage], path: str) -> _Stage:
    """A new stage; `FROM earlier-stage` inherits that stage's ENV, ENTRYPOINT and CMD.

    The inherited ENV is a copy, charged to the file's expansion budget like any expanded text: 60,000
    `FROM a` lines under 60,000 `ENV` lines (1.7 MB) copied 3.6 billion variables. Past the budget a stage
    inherits no variables (the file gets the error entry).
    """
    words = [w for w in _words(ins) if not w[0].startswith("--")]
    raw_image = words[0][0] if words else ""
    name = words[2][0].lower() if len(words) >= 3 and words[1][0].lower() == "as" else None
    image = resolve_text(raw_image, None, global_args, quoted=False, k8s_refs=False).literal
    image = str(image) if image is not None else raw_image
    parent = named.get(image.lower())
    if parent is None:
        return _Stage(name, image, line=ins.line)
    what = f"the ENV that stage {name or image!r} inherits from {parent.name!r}"
    if current_budget().refusal(parent.env_size, what, Location(path, ins.line)) is not None:
        return _Stage(name, parent.image, {}, {}, parent.entrypoint, parent.cmd, line=ins.line)
    return _Stage(name, parent.image, dict(parent.env), {}, parent.entrypoint, parent.cmd, parent.env_size,
                  line=ins.line)


def _command(ins: _Instruction, path: str) -> _Command:
    tokens = _exec_tokens(ins, path)
    return _Command(tuple(tokens) if tokens is not None else None, ins)


def _exec_tokens(ins: _Instruction, path: str) -> list[Token] | None:
    """The JSON-array (exec) form with each item's position, or None for the shell form."""
    flat: list[tuple[str, int, int]] = []  # (char, line, 0-based col)
    for piece in ins.pieces:
        text = piece.text[:-2] if piece.text.endswith(" \\") else piece.text
        for k, ch in enumerate(text):
            flat.append((ch, piece.line, piece.col + k))
        flat.append((" ", piece.line, piece.col + len(text)))
    logical = "".join(c for c, _, _ in flat).strip()
    if not logical.startswith("["):
        return None
    try:
        items = json.loads(logical)
    except ValueError:
        return None  # Docker runs an invalid JSON array as a shell command
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        return None
    tokens: list[Token] = []
    k = 0
    while k < len(flat) and len(tokens) < len(items):
        if flat[k][0] == '"':
            start = k
            k += 1
            while k < len(flat) and flat[k][0] != '"':
                k += 2 if flat[k][0] == "\\" else 1
            _, line, col = flat[start]
            tokens.append(Token(items[len(tokens)], Location(path, line, col + 2), quoted=True))
        k += 1
    return tokens if len(tokens) == len(items) else None


# --- what runs ----------------------------------------------------------------------------------------------


def _run(ins: _Instruction, stage: _Stage, path: str, facts: FileFacts) -> None:
    env = ChainMap(stage.env, stage.args)
    tokens = _exec_tokens(ins, path)
    if tokens is not None:
        serves, requests = argv_facts(tokens, env=env, runs=facts.runs)
        _add(facts, serves, requests, stage.image)
        return
    text = ins.text
    pieces = ins.pieces
    if pieces and re.match(r"\s*<<", pieces[0].text):
        # BuildKit heredoc: the body lines are the script
        body = [p for p in pieces[1:-1]]
        text = "\n".join(p.text for p in body)
        positions = PositionMap.from_lines([(p.line, p.col) for p in body])
    else:
        positions = _positions(ins)
    found = extract_shell(text, path, positions=positions, env=env)
    _add(facts, found.serves, found.requests, stage.image)
    facts.runs.extend(found.runs)


def _launch(stage: _Stage, path: str, facts: FileFacts) -> None:
    ep, cmd = stage.entrypoint, stage.cmd
    env = stage.env
    image = stage.image
    if ep is not None and ep.exec_tokens is None:
        _shell_form(ep, env, path, facts, image)  # shell-form ENTRYPOINT ignores CMD
        return
    if ep is not None:
        argv = list(ep.exec_tokens or ())
        if cmd is not None and cmd.exec_tokens is not None:
            argv += list(cmd.exec_tokens)
        elif cmd is not None:
            if argv and argv[-1].text == "-c" and _base(argv[0]) in _SHELLS:
                _shell_form(cmd, env, path, facts, image)
                return
            argv += [
                Token("/bin/sh", _first(cmd, path), True),
                Token("-c", _first(cmd, path), True),
                Token(cmd.instruction.text, _first(cmd, path), True),
            ]
        serves, requests = argv_facts(argv, env=env, image=None, runs=facts.runs)
        if cmd is None:
            # `ENTRYPOINT ["vllm", "serve"]` alone: a base image whose model comes at run time
            # (k8s args, compose command), not a launch of vLLM's default model.
            serves = [s for s in serves if not _runtime_model(s)]
        _add(facts, serves, requests, image)
        return
    if cmd is None:
        if image_server(image) is not None:  # TGI's image with `ENV MODEL_ID=...`: its entrypoint reads it
            serves, requests = argv_facts([], env=env, image=image, anchor=Location(path, stage.line, 1))
            _add(facts, serves, requests, image)
        return  # nothing else to run is said here (compose or k8s may give the command)
    if cmd.exec_tokens is not None:
        serves, requests = argv_facts(list(cmd.exec_tokens), env=env, image=image, runs=facts.runs)
        _add(facts, serves, requests, image)
        return
    server = image_server(image)
    entrypoint = "vllm serve" if image_kind(image) in ("openai", "simulator") else \
        server.programs[0][0] if server is not None and server.programs and not server.programs[0][1] else None
    if entrypoint is not None and cmd.instruction.text.lstrip().startswith("-"):
        # `CMD --model X` on a vLLM image: the entrypoint `vllm serve` receives these words (on TGI's image,
        # `text-generation-launcher`; on llama.cpp's `:server` image, `llama-server`).
        prefix = entrypoint + " "
        first = cmd.instruction.pieces[0]
        positions = PositionMap.from_lines(
            [(first.line, first.col - len(prefix))] + [(p.line, p.col) for p in cmd.instruction.pieces[1:]]
        )
        found = extract_shell(prefix + cmd.instruction.text, path, positions=positions, env=env)
        serves = [
            replace(
                s,
                location=_first(cmd, path),
                launcher=s.launcher if server is not None else "vllm serve",
                image=image,
                nominal=s.nominal or _nominal(image),
            )
            for s in found.serves
        ]
        _add(facts, serves, found.requests, image)
        return
    _shell_form(cmd, env, path, facts, image)


def _shell_form(command: _Command, env: dict[str, Value], path: str, facts: FileFacts, image: str) -> None:
    found = extract_shell(command.instruction.text, path, positions=_positions(command.instruction), env=env)
    _add(facts, found.serves, found.requests, image)
    facts.runs.extend(found.runs)


def _runtime_model(serve: Serve) -> bool:
    return serve.model is not None and serve.model.note.startswith("no model given") and not serve.config_file


def _nominal(image: str) -> str | None:
    return (
        f"simulator image {image}: no model weights are loaded" if image_kind(image) == "simulator" else None
    )


def _add(facts: FileFacts, serves: list[Serve], requests: list[Request], image: str) -> None:
    facts.serves.extend(s if s.image is not None else replace(s, image=image) for s in serves)
    facts.requests.extend(requests)


def _first(command: _Command, path: str) -> Location:
    ins = command.instruction
    return Location(path, ins.line, 1)


def _base(tok: Token) -> str:
    return tok.text.rsplit("/", 1)[-1]
