"""Link stage, before aliases and variables: command lines that run the project's own programs.

`python eval.py --model_name_or_path Qwen/Qwen2.5-7B --temperature 0` in a script, a Dockerfile, a YAML
`command:` or a README runs `eval.py` with those options; in `eval.py` the request's model and temperature
were resolved to the defaults of its argparse (click, typer, HfArgumentParser) options, and carry the
options they come from (`Value.options`). Each run of a program replaces, for the requests of its file, the
values of the options it passes; what it does not pass keeps the program's default. The evidence names the
run (its file and line). A program is found by its path as written: next to the file that runs it, under
the scan's root, or as the one project file whose path ends with it (`/app/eval.py` in a container,
`python -m pkg.eval`); when that is ambiguous the run is not joined, and nothing is guessed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import replace

from vlint.facts import FileFacts, Request, ScriptRun, Value


def apply_script_runs(all_facts: Sequence[FileFacts]) -> list[FileFacts]:
    """`all_facts` with each program's requests taken once per run of it that changes them."""
    runs = [run for facts in all_facts for run in facts.runs]
    if not runs:
        return list(all_facts)
    programs = {facts.path: facts for facts in all_facts
                if any(_reads_options(request) for request in facts.requests)}
    if not programs:
        return list(all_facts)
    runs_of: dict[str, list[ScriptRun]] = {}
    for run in runs:
        path = _program_path(run, programs)
        if path is not None:
            runs_of.setdefault(path, []).append(run)
    return [_with_runs(facts, runs_of[facts.path]) if facts.path in runs_of else facts for facts in all_facts]


def _reads_options(request: Request) -> bool:
    return any(value is not None and value.options for value in (request.model, request.temperature))


def _program_path(run: ScriptRun, programs: dict[str, FileFacts]) -> str | None:
    """The project file a run runs: its path as written next to the running file, from the root, or the
    one program path that ends with it."""
    if run.script is not None:
        written = run.script.replace("\\", "/")
        if "$" in written or "\x00" in written:
            return None
        parts = [p for p in written.split("/") if p not in ("", ".")]
    elif run.module is not None:
        parts = run.module.split(".")
        parts[-1] += ".py"
    else:
        return None
    if not parts:
        return None
    here = posixpath.dirname(run.location.path)
    for candidate in (posixpath.normpath(posixpath.join(here, *parts)), posixpath.normpath(posixpath.join(*parts))):
        if candidate in programs:
            return candidate
    if run.module is not None:  # `python -m pkg` runs pkg/__main__.py
        main = posixpath.join(*run.module.split("."), "__main__.py")
        if main in programs:
            return main
    for keep in range(len(parts), 0, -1):  # `/app/eval.py`: the longest tail some program path ends with
        tail = "/".join(parts[-keep:])
        found = [path for path in programs if path == tail or path.endswith("/" + tail)]
        if len(found) == 1:
            return found[0]
        if found:
            return None
    return None


def _with_runs(facts: FileFacts, runs: list[ScriptRun]) -> FileFacts:
    """The file's facts, each request that reads options taken once per distinct way the runs set them."""
    requests: list[Request] = []
    for request in facts.requests:
        if not _reads_options(request):
            requests.append(request)
            continue
        seen: set[tuple[object, ...]] = set()
        for run in runs:
            variant = _run_with(request, run)
            key = tuple((v.literal, v.env) if v is not None else None for v in (variant.model, variant.temperature))
            if key not in seen:
                seen.add(key)
                requests.append(variant)
    return replace(facts, requests=requests)


def _run_with(request: Request, run: ScriptRun) -> Request:
    context = "docs" if run.context == "docs" else request.context
    return replace(request, model=_given(request.model, run), temperature=_given(request.temperature, run),
                   context=context)


def _given(value: Value | None, run: ScriptRun) -> Value | None:
    """The value the run gives an option the value comes from, else the value (the program's default)."""
    if value is None or not value.options:
        return value
    for key, given in run.options:
        if key in value.options and given.literal is not True:
            note = f"`--{key}` of `{run.describe()}`" + (f", {given.note}" if given.note else "")
            return replace(given, location=given.location or run.location, options=(), note=note)
    return value
