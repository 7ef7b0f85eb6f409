"""CI workflows (GitHub Actions jobs and composite actions): `run:` scripts with their `env:` and `${{ }}`."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from vlint.extract.expansion import current_budget
from vlint.extract.templates import TemplateScanner
from vlint.extract.yaml.context import YamlDoc, env_mapping
from vlint.extract.yaml.masking import MAX_EXPRESSION, PLACEHOLDER, TEMPLATE_PAIRS, is_templated
from vlint.extract.yaml.nodes import get, mapping_items, scalar, seq, text_of
from vlint.facts import Value

_GH_INPUT_RE = re.compile(r"(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)")
_MAX_MATRIX_RUNS = 16


def _workflow_inputs(root: MappingNode, doc: YamlDoc) -> dict[str, Value]:
    """Defaults of `workflow_dispatch`/`workflow_call` inputs (what `${{ inputs.x }}` is when run by hand)."""
    inputs: dict[str, Value] = {}
    trigger = get(root, "on")
    for event in ("workflow_dispatch", "workflow_call"):
        for name, _k, spec in mapping_items(get(get(trigger, event), "inputs")):
            default = get(spec, "default")
            if isinstance(default, ScalarNode) and scalar(default) is not None and not is_templated(default.value):
                inputs[name] = Value(str(scalar(default)), doc.loc(default), note=f"default of input {name}")
    return inputs


def _matrix(job: Node | None) -> dict[str, list[Value]]:
    """`strategy.matrix` axes whose values are scalars (each value is one run of the job)."""
    axes: dict[str, list[Value]] = {}
    for name, _k, values in mapping_items(get(get(job, "strategy"), "matrix")):
        items = [v for v in seq(values) if isinstance(v, ScalarNode) and scalar(v) is not None]
        if items and len(items) == len(seq(values)):
            axes[name] = [Value(str(scalar(v)), None, note=f"matrix.{name}") for v in items]
    return axes


def _expression_runs(run: ScalarNode, doc: YamlDoc, env: Mapping[str, Value], inputs: Mapping[str, Value],
                     matrix: Mapping[str, list[Value]]) -> list[str]:
    """The script once per matrix combination, with the `${{ }}` expressions we can know filled in.

    GitHub substitutes expressions into the text before the shell runs (inside quotes too), so known
    values replace the placeholders literally; unknown ones stay placeholders (unresolved).
    """
    source = doc.source(run)
    expressions = [source[start + 3:end - 2].strip() for start, end in
                   TemplateScanner(source, TEMPLATE_PAIRS, MAX_EXPRESSION).spans() if source.startswith("${{", start)]
    runs = list(re.finditer(f"{PLACEHOLDER}+", run.value))
    if not expressions or len(expressions) != len(runs):
        return [run.value]

    def fill(expression: str, assignment: Mapping[str, str]) -> str | None:
        input_ref = _GH_INPUT_RE.fullmatch(expression)
        if expression.startswith("matrix."):
            return assignment.get(expression[7:])
        bound = env.get(expression[4:]) if expression.startswith("env.") else None
        if bound is not None and bound.literal is not None:
            return str(bound.literal)
        if input_ref and input_ref.group(1) in inputs:
            return str(inputs[input_ref.group(1)].literal)
        return None

    # One matrix axis has one value per run, wherever it is used: combine axes, not occurrences.
    axes = list(dict.fromkeys(e[7:] for e in expressions if e.startswith("matrix.") and e[7:] in matrix))
    combos = itertools.islice(itertools.product(*(matrix[a] for a in axes)), _MAX_MATRIX_RUNS)
    scripts = []
    budget = current_budget()
    for combo in combos:
        assignment = {axis: str(value.literal) for axis, value in zip(axes, combo, strict=True)}
        pieces, prev = [], 0
        for expression, match in zip(expressions, runs, strict=True):
            value = fill(expression, assignment)
            pieces += [run.value[prev:match.start()], match.group(0) if value is None else value]
            prev = match.end()
        pieces.append(run.value[prev:])
        # One `env:` value used in every expression of a long script multiplies: charged like any expansion.
        if budget.refusal(sum(map(len, pieces)), "a `run:` script with its ${{ }} expressions filled",
                          doc.loc(run)) is not None:
            scripts.append(run.value)  # the expressions stay unknown
            continue
        scripts.append("".join(pieces))
    return scripts


def workflow(root: MappingNode, doc: YamlDoc, steps_of: list[tuple[str, Node, Node | None, Node | None]]) -> None:
    top = env_mapping(get(root, "env"), doc, "workflow")
    inputs = _workflow_inputs(root, doc)
    for job_name, steps, job_env_node, job in steps_of:
        job_env = {**top, **env_mapping(job_env_node, doc, f"job {job_name}")}
        matrix = _matrix(job)
        for step in seq(steps):
            run = get(step, "run")
            if not isinstance(run, ScalarNode) or not text_of(run):
                continue
            shell = (text_of(get(step, "shell")) or "bash").split()[0]
            if shell not in ("bash", "sh"):
                doc.handled.add(id(run))
                continue
            env = {**job_env, **env_mapping(get(step, "env"), doc, f"job {job_name} step", bind=False)}
            for script in dict.fromkeys(_expression_runs(run, doc, env, inputs, matrix)):
                doc.shell(run, env, rewrite=lambda _masked, script=script: script)


def workflow_jobs(root: MappingNode) -> list[tuple[str, Node, Node | None, Node | None]]:
    jobs = [(name, get(job, "steps"), get(job, "env"), job) for name, _k, job in mapping_items(get(root, "jobs"))
            if isinstance(get(job, "steps"), SequenceNode)]
    runs = get(root, "runs")
    if isinstance(get(runs, "steps"), SequenceNode):  # a composite action
        jobs.append(("composite", get(runs, "steps"), None, None))
    return jobs
