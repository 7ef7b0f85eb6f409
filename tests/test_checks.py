"""Rules are units: one module each, an explicit registry, metadata that loads nothing else of vlint; and the
house as a whole: no import circle anywhere in vlint, no module over ~600 lines."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from vlint.checks.meta import RuleMeta
from vlint.checks.registry import CHECKS, RULES, RULES_BY_CODE, RULES_BY_NAME, resolve_rule_ref

PACKAGE = REPO / "vlint"
CHECKS_DIR = PACKAGE / "checks"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _defines_rule(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    return any(isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RULE" for t in node.targets)
               for node in tree.body)


def test_every_rule_module_is_registered_once_and_nothing_else_is():
    modules = sorted(_module_name(p) for p in CHECKS_DIR.glob("*.py") if _defines_rule(p))
    assert sorted(check.__name__ for check in CHECKS) == modules
    assert len(RULES_BY_CODE) == len(RULES_BY_NAME) == len(RULES) == len(CHECKS)


def test_rule_metadata_is_well_formed():
    for check in CHECKS:
        rule = check.RULE
        assert isinstance(rule, RuleMeta) and callable(check.check)
        assert re.fullmatch(r"VL\d{3}", rule.code) and re.fullmatch(r"[a-z]+(-[a-z]+)+", rule.name)
        assert rule.severity in ("info", "warning", "error") and rule.stage in ("facts", "suppressions")
        assert rule.summary.endswith(".") and rule.summary[0].isupper()
        assert check.__doc__.startswith(f"{rule.code} {rule.name}"), check.__name__


def test_rule_references_resolve_by_code_name_and_prefix():
    assert resolve_rule_ref("vl001") == "VL001" and resolve_rule_ref(" base-model-chat ") == "VL001"
    assert resolve_rule_ref("VL0") == "VL0" and resolve_rule_ref("all") == "ALL" and resolve_rule_ref("VL1") == "VL1"
    assert resolve_rule_ref("VL9") is None and resolve_rule_ref("chat") is None


def test_rule_metadata_loads_nothing_else_of_vlint():
    """Configuration, suppressions and reports import the registry at the top: it must stay cheap and
    out of every circle, so a rule module loads only `checks.meta` until its check runs."""
    code = ("import sys, vlint.checks.registry\n"
            "print(' '.join(sorted(m for m in sys.modules if m == 'vlint' or m.startswith('vlint.'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=REPO).stdout.split()
    expected = {"vlint", "vlint.checks", "vlint.checks.meta", "vlint.checks.registry",
                *(check.__name__ for check in CHECKS)}
    assert set(loaded) == expected


def _imports(path: Path, module: str) -> set[str | tuple[str, tuple[str, ...]]]:
    """What `module` imports, at any depth of the file (lazy imports too), except under `if TYPE_CHECKING:`,
    which never runs: module names of `import x`, and (module, names) of `from x import names`."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found: set[str | tuple[str, tuple[str, ...]]] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: -node.level] if path.name != "__init__.py" else \
                    module.split(".")[: len(module.split(".")) - node.level + 1]
                base = ".".join([*package, *([base] if base else [])])
            found.add((base, tuple(alias.name for alias in node.names)))
    return found


def _import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        targets: set[str] = set()
        for item in _imports(path, name):
            if isinstance(item, str):
                targets.add(item)
                continue
            # `from vlint.x import y` depends on `vlint.x.y` when y is a submodule, else on `vlint.x` itself.
            base, names = item
            submodules = {f"{base}.{n}" for n in names if f"{base}.{n}" in files}
            targets |= submodules
            if len(submodules) < len(names):
                targets.add(base)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def _cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for target in graph.get(node, ()):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


@pytest.mark.slow
def test_no_import_circle_anywhere_in_vlint():
    """Arrows point one way: a circle between any two modules, lazy imports included, fails."""
    graph = _import_graph()
    assert "vlint.checks.registry" in graph["vlint.config"]  # the registry is read at the top, not lazily
    circles = {m: cycle for m in graph if (cycle := _cycle_through(graph, m))}
    assert not circles, circles


def test_no_module_is_a_house_of_its_own():
    """No module over ~600 lines: past that a module holds several rooms waiting to be split."""
    sizes = {_module_name(p): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {m: n for m, n in sizes.items() if n > 600} == {}
