"""The vllm family: `vllm serve`, `vllm run-batch`, `python -m vllm.entrypoints...`, `vllm chat/complete`.

Choices worth knowing:
- `python -m vllm.entrypoints.openai.api_server MODEL` ignores the positional: the Serve's model is
  vLLM's default model with a note naming the ignored token, so the linker sees what is really served
  and a rule can still read the note.
- A launch with no model and no `--config` serves the default model; with `--config f.yaml` the model is
  left None and `config_file` is set for the YAML side to resolve. `--config=f.yaml` is ignored by vLLM,
  so it sets no `config_file` and the model falls back to the default, with a note.
- Flags are split the argparse way, with the arities of `vlint.extract.cmdline.flags`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from vlint.extract.cmdline.context import CommandContext, value_token
from vlint.extract.cmdline.flags import flag_table, normalize_flag
from vlint.extract.cmdline.jsonbody import as_number, json_value, parse_json_body
from vlint.extract.cmdline.servers import module_server, parse_port, server_data, server_launch
from vlint.extract.cmdline.variables import has_opaque_args, is_reference, join_notes
from vlint.extract.positions import Token
from vlint.facts import Api, Request, Serve, Value


def vllm_command(argv: list[Token], ctx: CommandContext, *, image: str | None, launcher: str | None) -> None:
    if len(argv) < 2:
        return
    sub = argv[1].text
    if sub == "serve":
        serve(argv[0], argv[2:], ctx, mode="serve", launcher=launcher or "vllm serve", image=image)
    elif sub == "run-batch":
        serve(argv[0], argv[2:], ctx, mode="run-batch", launcher=launcher or "vllm run-batch", image=image)
    elif sub in ("chat", "complete"):
        vllm_client(argv, ctx, api="chat" if sub == "chat" else "completion")


def python_module(argv: list[Token], ctx: CommandContext, *, image: str | None, launcher: str | None) -> None:
    i = 1
    while i < len(argv):
        t = argv[i].text
        if t == "-m" and i + 1 < len(argv):
            module, rest = argv[i + 1].text, argv[i + 2:]
            break
        if t.startswith("-m") and len(t) > 2:
            module, rest = t[2:], argv[i + 1:]
            break
        if t in ("-W", "-X"):
            i += 2
            continue
        if t.startswith("-") and t != "-" and not t.startswith("-c"):
            i += 1
            continue
        return  # a script, `-c code` or stdin: not a launch we can read
    else:
        return
    head = argv[0]
    if module == "vllm.entrypoints.openai.api_server":
        serve(head, rest, ctx, mode="openai-module", launcher=launcher or f"python -m {module}", image=image)
    elif module == "vllm.entrypoints.api_server":
        serve(head, rest, ctx, mode="legacy-module", launcher=launcher or f"python -m {module}", image=image)
    elif module in ("vllm.entrypoints.cli.main", "vllm"):
        vllm_command([head, *rest], ctx, image=image, launcher=launcher)
    elif (server := module_server(module, rest)) is not None:  # SGLang, LMDeploy, llama-cpp-python, ...
        spec, start = server
        server_launch(spec, head, rest[start:], ctx, image=image)


@dataclass
class _Flag:
    name: str
    tok: Token
    values: list[Token]
    attached: bool


_BOOL_WORDS = frozenset({"true", "false"})
_NEG_NUM = re.compile(r"^-\d")


def _parse_flags(args: Sequence[Token]) -> tuple[list[_Flag], list[Token]]:
    """Split vLLM argv into flags (with the tokens each swallows) and positionals, the argparse way."""
    table = flag_table()
    flags: list[_Flag] = []
    positionals: list[Token] = []
    i = 0
    n = len(args)

    def starts_option(k: int) -> bool:
        t = args[k].text
        return t.startswith("-") and len(t) > 1 and not _NEG_NUM.match(t)

    while i < n:
        tok = args[i]
        t = tok.text
        if t == "--":
            positionals.extend(args[i + 1:])
            break
        if not (t.startswith("-") and len(t) > 1) or _NEG_NUM.match(t):
            positionals.append(tok)
            i += 1
            continue
        if t.startswith("-O") and not t.startswith("--"):
            if len(t) > 2:  # -O3, -O=3, -Odecode
                flags.append(_Flag("--optimization-level", tok, [value_token(tok, 2, t[2:].lstrip("="))], True))
                i += 1
            else:
                vals = [args[i + 1]] if i + 1 < n else []
                flags.append(_Flag("--optimization-level", tok, vals, False))
                i += 1 + len(vals)
            continue
        raw, eq, val = t.partition("=")
        name = normalize_flag(raw)
        if eq:
            base = name.split(".", 1)[0]
            canonical = table.lookup(base)[0] or base
            if "." in name:
                canonical += name[len(base):]
            flags.append(_Flag(canonical, tok, [value_token(tok, len(raw) + 1, val)], True))
            i += 1
            continue
        if "." in name and name.startswith("--"):  # dotted JSON key: one value
            base, _, key = name.partition(".")
            canonical = (table.lookup(base)[0] or base) + "." + key
            vals = [args[i + 1]] if i + 1 < n else []
            flags.append(_Flag(canonical, tok, vals, False))
            i += 1 + len(vals)
            continue
        canonical, kind = table.lookup(name)
        if canonical is None:
            canonical, kind = name, "unknown"
        j = i + 1
        if kind == "zero":
            if canonical in table.bool_value and j < n and args[j].text.lower() in _BOOL_WORDS:
                j += 1
        elif kind in ("one", "append"):
            if j < n:
                j += 1
        elif kind in ("optional", "unknown"):
            if j < n and not starts_option(j):
                j += 1
        elif kind == "multi":
            while j < n and not starts_option(j):
                j += 1
        flags.append(_Flag(canonical, tok, list(args[i + 1:j]), False))
        i = j
    return flags, positionals


def _last(flags: list[_Flag], name: str) -> _Flag | None:
    found = [f for f in flags if f.name == name]
    return found[-1] if found else None


def serve(head: Token, args: Sequence[Token], ctx: CommandContext, *, mode: str, launcher: str, image: str | None,
          nominal: str | None = None) -> None:
    """A launch from `vllm serve`-style arguments; `mode` says how the model is given ("serve": positional
    or --model; "openai-module": --model only; "legacy-module": the demo server; "run-batch")."""
    args = [_flagify(t, ctx) for t in args]
    flags, positionals = _parse_flags(args)
    if any(f.name == "--help" or f.name.startswith("--help=") for f in flags):
        return  # `vllm serve --help` prints and exits
    config = _last(flags, "--config")
    config_file = None
    if config is not None and config.values and not config.attached:
        config_file = ctx.literal(config.values[0]) or config.values[0].text
    served: list[str] = []
    for f in flags:
        if f.name == "--served-model-name":
            served = [s for s in (ctx.literal(v) for v in f.values) if s]
    tokenizer = _last(flags, "--tokenizer")
    ctx.serves.append(Serve(
        location=head.location,
        model=_model(head, args, flags, positionals, ctx, mode=mode, config_file=config_file),
        launcher=launcher,
        served_names=tuple(served),
        chat_template=_flag_text(flags, "--chat-template", ctx),
        temperature=_override_temperature(flags, ctx),
        generation_config=_flag_text(flags, "--generation-config", ctx),
        nominal=nominal or _nominal(flags, ctx, mode),
        config_file=config_file,
        image=image,
        tokenizer=ctx.literal(tokenizer.values[0]) if tokenizer is not None and tokenizer.values else None,
        context=ctx.context,  # type: ignore[arg-type]
        ports=_ports(flags, ctx, mode),
    ))


def _ports(flags: list[_Flag], ctx: CommandContext, mode: str) -> tuple[int, ...]:
    """The port the server listens on (`--port`, else vLLM's default); none for a batch run, and none when
    the flag's value is not known."""
    if mode == "run-batch":
        return ()
    data = server_data()
    found = next((f for f in reversed(flags) if f.name in data.vllm_port.flags and f.values), None)
    if found is None:
        return (data.vllm_port_default,)
    port = parse_port(ctx.literal(found.values[0]))
    return (port,) if port is not None else ()


def _model(head: Token, args: Sequence[Token], flags: list[_Flag], positionals: list[Token], ctx: CommandContext,
           *, mode: str, config_file: str | None) -> Value | None:
    """The model a launch serves: the positional (`vllm serve M`) or `--model`; None when a `--config` file
    names it; vLLM's default, with the reason, when nothing does."""
    model_flag = _last(flags, "--model")
    model_tok = model_flag.values[0] if model_flag and model_flag.values else None
    if mode == "serve" and positionals:
        model_tok = positionals[0]
    if model_tok is not None:
        model = ctx.value(model_tok)
        if mode == "openai-module" and positionals:
            model = replace(model, note=join_notes(model.note, f"positional {positionals[0].text!r} is ignored"))
        return model
    if config_file is not None:
        return None  # the --config file names it
    opaque = [t for t in args if not t.quoted and has_opaque_args(t.text)]
    if opaque:
        return Value(None, head.location, note=f"arguments come from {opaque[0].text}")
    why = "no model given: vLLM serves its default model"
    if mode == "openai-module" and positionals:
        why = (f"the positional {positionals[0].text!r} is ignored by vllm.entrypoints.openai.api_server "
               "(only --model counts): vLLM serves its default model")
    config = _last(flags, "--config")
    ignored = ""
    if config is not None and config.values and config.attached:
        ignored = f"--config={config.values[0].text} is ignored by vLLM (only `--config FILE` loads)"
    return Value(flag_table().default_model, head.location, note=join_notes(why, ignored))


def _flag_text(flags: list[_Flag], name: str, ctx: CommandContext) -> str | None:
    """The last `name` flag's value, resolved when it can be, else as written."""
    flag = _last(flags, name)
    if flag is None or not flag.values:
        return None
    return ctx.literal(flag.values[0]) or flag.values[0].text


def _nominal(flags: list[_Flag], ctx: CommandContext, mode: str) -> str | None:
    """Why the launch serves no real model under its name, if it does not."""
    load_format = _last(flags, "--load-format")
    if load_format is not None and load_format.values and (ctx.literal(load_format.values[0]) or "").lower() == "dummy":
        return "--load-format dummy: random weights, the model name is nominal"
    if mode == "legacy-module":
        return "legacy vllm.entrypoints.api_server: a demo /generate server, not the OpenAI API"
    if _last(flags, "--headless") is not None:
        return "--headless: a worker without an API server"
    return None


def _flagify(tok: Token, ctx: CommandContext) -> Token:
    """`$QUANT_FLAG` holding `--enforce-eager` is a flag, not the positional model."""
    if tok.quoted or not is_reference(tok.text):
        return tok
    lit = ctx.literal(tok)
    if lit is not None and lit.startswith("-") and " " not in lit:
        return Token(lit, tok.location, True)
    return tok


def _override_temperature(flags: list[_Flag], ctx: CommandContext) -> Value | None:
    """Temperature from `--override-generation-config` JSON or its dotted form (the last one wins)."""
    found: Value | None = None
    for f in flags:
        if not f.values:
            continue
        tok = f.values[0]
        if f.name == "--override-generation-config":
            text = ctx.literal(tok)
            body = parse_json_body(text) if text else None
            if isinstance(body, dict) and "temperature" in body:
                found = json_value(body["temperature"], tok, ctx, "--override-generation-config")
        elif f.name.rstrip("+") == "--override-generation-config.temperature":
            v = ctx.value(tok)
            found = replace(as_number(v), note=join_notes(v.note, "--override-generation-config.temperature"))
    return found


def vllm_client(argv: list[Token], ctx: CommandContext, *, api: Api) -> None:
    model: Value | None = None
    quick: str | None = None
    i = 2
    while i < len(argv):
        t = argv[i].text
        name, eq, val = t.partition("=")
        value_tok = value_token(argv[i], len(name) + 1, val) if eq else (argv[i + 1] if i + 1 < len(argv)
                                                                         else None)
        if name in ("--model-name", "--url", "--api-key", "--system-prompt", "-q", "--quick", "--max-tokens"):
            if name == "--model-name" and value_tok is not None:
                model = ctx.value(value_tok)
            if name in ("-q", "--quick") and value_tok is not None:
                quick = ctx.literal(value_tok)
            i += 1 if eq else 2
            continue
        i += 1
    messages = (("user", quick),) if api == "chat" and quick is not None else None
    prompt = quick if api == "completion" else None
    ctx.requests.append(Request(location=argv[0].location, api=api, client=f"vllm {argv[1].text}", model=model,
                                messages=messages, prompt=prompt, context=ctx.context))  # type: ignore[arg-type]
