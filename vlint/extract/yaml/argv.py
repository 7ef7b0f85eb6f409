"""Command lines written in YAML: one-string commands split the compose way, `sh -c SCRIPT`, flags."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from yaml.nodes import Node, ScalarNode, SequenceNode

from vlint.extract.cmdline.heads import SHELLS
from vlint.extract.cmdline.servers import image_server
from vlint.extract.positions import PositionMap, Token
from vlint.extract.shell import extract_shell
from vlint.extract.yaml.context import YamlDoc
from vlint.extract.yaml.nodes import scalar, seq, text_of
from vlint.facts import Location, Serve, Value


def shell_script_index(texts: Sequence[str]) -> int | None:
    """Index of the script in `sh -c SCRIPT ...` / `bash -lc SCRIPT`, or None if argv is not that."""
    if not texts:
        return None
    head = texts[0].rsplit("/", 1)[-1]
    if head == "env" and len(texts) > 1:  # `/usr/bin/env bash -c …`
        inner = shell_script_index(texts[1:])
        return None if inner is None else inner + 1
    if head not in SHELLS:
        return None
    for i, word in enumerate(texts[1:], start=1):
        if word.startswith("-") and not word.startswith("--") and "c" in word[1:]:
            return i + 1 if i + 1 < len(texts) else None
        if not word.startswith("-"):
            return None
    return None


def split_words(node: ScalarNode, doc: YamlDoc) -> list[Token]:
    """Split a one-string command the way compose does (POSIX shlex rules), keeping each word's column.

    Columns are exact for single-line plain and quoted scalars; folded multi-line values map to their
    first line.
    """
    text = node.value
    shift = 1 if (node.style or "") in ("'", '"') else 0
    words: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\n":
            i += 1
        if i >= n:
            break
        start, buf = i, []
        while i < n and text[i] not in " \t\n":
            ch = text[i]
            if ch == "'":
                end = text.find("'", i + 1)
                end = n if end < 0 else end
                buf.append(text[i + 1:end])
                i = end + 1
            elif ch == '"':
                i += 1
                while i < n and text[i] != '"':
                    if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\$`\n':
                        i += 1
                    buf.append(text[i])
                    i += 1
                i += 1
            elif ch == "\\" and i + 1 < n:
                buf.append(text[i + 1])
                i += 2
            else:
                buf.append(ch)
                i += 1
        column = start if text.rfind("\n", 0, start) < 0 else 0
        words.append(Token("".join(buf), doc.loc(node, shift + column)))  # compose ignores shell quoting
    return words


def argv_tokens(node: Node | None, doc: YamlDoc) -> list[tuple[Token, ScalarNode | None]]:
    """argv words from a YAML list (block or flow), each with its item node; a one-string value is
    split like compose does, and its words carry no node of their own (None)."""
    out: list[tuple[Token, ScalarNode | None]] = []
    if isinstance(node, SequenceNode):
        for item in node.value:
            if isinstance(item, ScalarNode) and scalar(item) is not None:
                out.append((doc.token(item), item))
    elif isinstance(node, ScalarNode) and text_of(node):
        out.extend((tok, None) for tok in split_words(node, doc))
    return out


def command_tokens(doc: YamlDoc, *parts: Node | None) -> list[tuple[Token, ScalarNode | None]]:
    """The argv of a command given in parts (`command` + `args`, `entrypoint` + `command`), the parts marked
    as read so the generic walk does not read them again."""
    for part in parts:
        if part is not None:
            doc.handled.add(id(part))
            doc.handled.update(id(item) for item in seq(part))
    return [pair for part in parts for pair in argv_tokens(part, doc)]


def run_argv(doc: YamlDoc, pairs: list[tuple[Token, ScalarNode | None]], env: Mapping[str, Value],
             image: str | None, shell_rewrite: Callable[[str], str] | None = None, k8s_refs: bool = True,
             process_env: Mapping[str, Value] | None = None) -> None:
    """An argv from YAML: `sh -c SCRIPT` goes to the shell extractor, anything else to the command-line families.
    `process_env`: the container's environment when argv is not expanded with it (compose)."""
    texts = [tok.text for tok, _ in pairs]
    index = shell_script_index(texts)
    if index is not None:
        tok, node = pairs[index]
        if node is not None:
            doc.shell(node, env, rewrite=shell_rewrite)
        else:  # the script was one word of a split string: map it to the word's own position
            script = shell_rewrite(tok.text) if shell_rewrite else tok.text
            loc = tok.location
            doc.absorb(extract_shell(script, doc.path, positions=PositionMap.single(loc.line, loc.column - 1),
                                     env=env, context="code"))
        return
    if not pairs:
        return
    serves, requests = doc.argv([tok for tok, _ in pairs], env, image, k8s_refs=k8s_refs, process_env=process_env)
    doc.add(serves, requests)


def run_image(doc: YamlDoc, image: str | None, anchor: Node, env: Mapping[str, Value]) -> None:
    """A container given no command: the image's own entrypoint runs. Only a server image that reads its
    model from the environment (TGI's `MODEL_ID`) can say what it serves."""
    if image is not None and image_server(image) is not None:
        doc.add(*doc.argv([], env, image, anchor=doc.loc(anchor), process_env=env))


def serves_from_flags(doc: YamlDoc, tokens: list[Token], anchor: Location, env: Mapping[str, Value] | None = None,
                      image: str | None = None) -> list[Serve]:
    """Run flag tokens through the vllm family as `vllm serve …` so every flag means what vLLM means."""
    head = [Token("vllm", anchor), Token("serve", anchor)]
    serves, _requests = doc.argv(head + tokens, env, image)
    return serves
