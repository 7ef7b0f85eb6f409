"""Ollama Modelfiles -> a launch: the model in `FROM`, a chat `TEMPLATE`, a default `PARAMETER temperature`.

A Modelfile is what `ollama create NAME -f FILE` builds a served model from; the linker joins the two by the
file's name, so a client asking for NAME reaches the model in `FROM` (a library tag such as `llama3.2`, a
Hub GGUF `hf.co/org/repo:Q4_K_M`, or a local `.gguf` path). `TEMPLATE` replaces the chat template the model
brings: evidence that chatting with a base model through it is deliberate. Instructions are read line by
line; a `\"\"\"` string may span lines. Nothing else in the file matters here.
"""

from __future__ import annotations

import re

from vlint.extract.expansion import bounded
from vlint.facts import FileFacts, Location, Serve, Value

LAUNCHER = "Ollama Modelfile"
_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$")


@bounded
def extract_modelfile(text: str, path: str) -> FileFacts:
    facts = FileFacts(path, "modelfile")
    model: Value | None = None
    anchor: Location | None = None
    template: str | None = None
    temperature: Value | None = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line, number = lines[i], i + 1
        match = _INSTRUCTION.match(line)
        i += 1
        if match is None or line.lstrip().startswith("#"):
            continue
        keyword, rest = match.group(1).upper(), match.group(2).strip()
        column = match.start(2) + 1
        if rest.startswith('"""') and rest.count('"""') == 1:  # a string that goes on over the next lines
            while i < len(lines) and '"""' not in lines[i]:
                i += 1
            i += 1
        if keyword == "FROM" and model is None and rest:
            anchor = Location(path, number, 1)
            model = Value(rest.split()[0].strip("'\""), Location(path, number, column), note="FROM of the Modelfile")
        elif keyword == "TEMPLATE":
            template = f"TEMPLATE in {path}"
        elif keyword == "PARAMETER":
            parts = rest.split()
            if len(parts) >= 2 and parts[0].lower() == "temperature":
                temperature = _number(parts[1], Location(path, number, column + rest.index(parts[1])))
    if model is not None and anchor is not None:
        facts.serves.append(Serve(location=anchor, model=model, launcher=LAUNCHER, chat_template=template,
                                  temperature=temperature))
    return facts


def _number(text: str, location: Location) -> Value:
    try:
        return Value(float(text), location, note="PARAMETER temperature of the Modelfile")
    except ValueError:
        return Value(None, location, note="PARAMETER temperature is not a number")
