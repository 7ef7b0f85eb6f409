"""Files vlint lists as unreadable although they are valid: the launch-file measurement (docs/launch-files.md).

    .venv/bin/python bench/unreadable.py /work/repos/kserve+kserve /work/repos/llm-d+llm-d ... [--findings]

Each tree is scanned whole through `vlint.api.scan` (no cache). Every error entry is then checked against a
judge that does not share vlint's code:
  * YAML: the file loads with PyYAML as it is, or after a *render with unknown values* (every line that
    holds only template directives deleted, every other template replaced by `x`, each document on its own);
  * shell: `bash -n` accepts it (bash parses without executing anything);
  * files over max-file-size are counted apart (a configured limit, not a reading failure).
A file that the judge accepts and vlint lists is a *false unreadable*: the target is 0. `--findings` also
prints every finding, for judging them by reading the code. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TEMPLATE = re.compile(r"\$\{\{.*?\}\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_SENTINEL = "\x00"
_SHELL_SUFFIXES = (".sh", ".bash")


def yaml_loads(text: str) -> bool:
    try:
        for _ in yaml.compose_all(text, Loader=_LOADER):
            pass
    except yaml.YAMLError:
        return False
    return True


def rendered_with_unknowns(text: str) -> str:
    """Templates rendered as if every value were `x` and every directive printed nothing: the lines that
    hold only directives disappear (what Helm's `{{-` trimming does), the rest keep a scalar."""
    one_line = _TEMPLATE.sub(lambda m: _SENTINEL, text)
    kept = [line for line in one_line.split("\n") if line.replace(_SENTINEL, "").strip() or _SENTINEL not in line]
    return "\n".join(kept).replace(_SENTINEL, "x")


def yaml_valid(text: str) -> bool:
    """Every document loads, as it is or rendered with unknown values."""
    documents = re.split(r"^---(?=[ \t]|$)", text, flags=re.MULTILINE)
    return all(yaml_loads(doc) or yaml_loads(rendered_with_unknowns(doc)) for doc in documents)


def bash_valid(path: Path) -> bool:
    return subprocess.run(["bash", "-n", str(path)], capture_output=True, timeout=60).returncode == 0


@dataclass
class Tally:
    files: int = 0
    seconds: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)
    false_unreadable: list[tuple[str, str]] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)
    oversize: int = 0


def measure(root: Path, show_findings: bool) -> Tally:
    from vlint.api import scan
    from vlint.config import Config

    started = time.perf_counter()
    result = scan([root], Config(cache=False), cwd=root)
    tally = Tally(result.files_scanned, time.perf_counter() - started)
    for error in result.errors:
        path = root / error.path
        entry = (f"{error.path}:{error.line or ''}", error.reason)
        tally.errors.append(entry)
        if error.reason.startswith("skipped:"):
            tally.oversize += 1
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix in (".yaml", ".yml"):
            valid = yaml_valid(text)
        elif path.suffix in _SHELL_SUFFIXES or text.startswith("#!") and "sh" in text.split("\n", 1)[0]:
            valid = bash_valid(path)
        else:
            valid = False
        (tally.false_unreadable if valid else tally.invalid).append(entry)
    if show_findings:
        for f in result.findings:
            print(f"  finding {f.rule} {f.severity}/{f.confidence} {f.path}:{f.line} {f.model} ({f.api}, "
                  f"T={f.temperature})")
    return tally


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("roots", nargs="+", type=Path)
    parser.add_argument("--findings", action="store_true", help="print every finding too")
    args = parser.parse_args(argv)
    total = 0
    for root in args.roots:
        print(f"== {root}")
        tally = measure(root.resolve(), args.findings)
        print(f"  {tally.files} files in {tally.seconds:.1f} s; {len(tally.errors)} error entries: "
              f"{tally.oversize} over max-file-size, {len(tally.invalid)} invalid, "
              f"{len(tally.false_unreadable)} valid but listed (false unreadable)")
        for where, reason in tally.false_unreadable:
            print(f"  FALSE UNREADABLE {where}: {reason}")
        for where, reason in tally.invalid:
            print(f"  invalid {where}: {reason}")
        total += len(tally.false_unreadable)
    print(f"false unreadable, all trees: {total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
