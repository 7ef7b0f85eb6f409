"""vlint's benchmark: vlint against the closest semgrep and Fixit set-ups, on a real tree and synthetic ones.

    python bench/run.py --repo /tmp/vllm-src --synthetic 1000,10000 --runs 5

For each corpus (the `--repo` tree; synthetic monorepos of the given sizes, made by bench/synth.py) it
prints files, bytes, and for every tool wall time, CPU time (user+system of the process tree) and peak
memory (the largest process's RSS), as medians of alternating runs (vlint, semgrep, Fixit, then the next
round in rotated order, so background load hits all tools alike), the paired ratios vlint/semgrep and
vlint/Fixit (median of per-round ratios), vlint warm (cached) against cold, the libcst parse-only time
of the files vlint actually hands to libcst, and a one-file pre-commit run of vlint against Fixit. On
synthetic corpora it checks that vlint's findings equal the planted ones exactly.

semgrep and Fixit come from bench/.venv (`python -m venv bench/.venv && bench/.venv/bin/pip install
semgrep fixit`, or `pip install -e '.[bench]'` there); vlint from the interpreter running this script
(or --vlint). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BENCH_BIN = HERE / ".venv" / "bin"
SEMGREP_RULES = HERE / "semgrep" / "vlint-equivalent.yaml"


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    rc: int
    stdout: str = ""


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)


def measure(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float | None = None) -> Sample:
    """Run argv; wall clock, CPU of the whole process tree, and the largest RSS in it (Linux wait4)."""
    # Peak RSS through /usr/bin/time: a child forked straight from this (large) process would report
    # this process's memory as its own high-water mark (Linux keeps it across fork and exec).
    rss_file = tempfile.NamedTemporaryFile(prefix="vlint-bench-rss-", delete=False)
    rss_file.close()
    if Path("/usr/bin/time").exists():
        argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *argv]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    out_chunks = []
    deadline = None if timeout is None else start + timeout
    assert proc.stdout is not None
    while True:
        chunk = proc.stdout.read(1 << 16)
        if not chunk:
            break
        out_chunks.append(chunk)
        if deadline is not None and time.perf_counter() > deadline:
            proc.kill()
            break
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    rss_kb = usage.ru_maxrss
    try:
        rss_kb = int(Path(rss_file.name).read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        pass
    finally:
        Path(rss_file.name).unlink(missing_ok=True)
    return Sample(wall, usage.ru_utime + usage.ru_stime, rss_kb / 1024, proc.returncode,
                  b"".join(out_chunks).decode("utf-8", "replace"))


# ---- the tools -------------------------------------------------------------------------------------------

def program(python: str, source: Path) -> list[str]:
    """The `vlint` program of the checkout at `source`, run as its console script runs it (the entry point
    named in its pyproject.toml; `-m vlint.cli` would skip what the entry does before importing the CLI)."""
    import tomllib

    entry = tomllib.loads((source / "pyproject.toml").read_text())["project"]["scripts"]["vlint"]
    module, func = entry.split(":")
    return [python, "-c", f"import sys; from {module} import {func}; sys.exit({func}())"]


def vlint_cmd(args: argparse.Namespace, target: Path, *, cache: bool) -> list[str]:
    """`vlint scan .`, run inside the tree as CI runs it (the caller passes the tree as cwd), or one file."""
    scanned = "." if target.is_dir() else str(target)
    cmd = [*program(args.vlint, REPO), "scan", scanned, "--format", "json", "--fail-on", "never"]
    return cmd if cache else [*cmd, "--no-cache"]


def semgrep_cmd(target: Path) -> list[str]:
    return [str(BENCH_BIN / "semgrep"), "scan", "--config", str(SEMGREP_RULES), "--metrics=off",
            "--disable-version-check", "--json", "-q", "--no-git-ignore", str(target)]


def fixit_cmd(target: Path) -> list[str]:
    return [str(BENCH_BIN / "fixit"), "--rules", "vlint_equivalent", "lint", str(target)]


def tool_env(cache_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE / "fixit")
    env["SEMGREP_ENABLE_VERSION_CHECK"] = "0"
    env["SEMGREP_SEND_METRICS"] = "off"
    if cache_dir is not None:
        env["VLINT_CACHE_DIR"] = str(cache_dir)  # vlint's whole user cache: per-file facts, stamps, walks, data
    return env


def vlint_findings(sample: Sample) -> dict[str, int]:
    counts: dict[str, int] = {}
    try:
        data = json.loads(sample.stdout)
    except ValueError:
        return {"unparsable-output": 1}
    for finding in data["findings"]:
        counts[finding["rule"]] = counts.get(finding["rule"], 0) + 1
    return dict(sorted(counts.items()))


def semgrep_findings(sample: Sample) -> int:
    try:
        return len(json.loads(sample.stdout)["results"])
    except (ValueError, KeyError):
        return -1


def fixit_findings(sample: Sample) -> int:
    return sum(1 for line in sample.stdout.splitlines() if " BaseModelChat: " in line)


# ---- corpora ---------------------------------------------------------------------------------------------

def corpus_stats(target: Path) -> tuple[int, int, int]:
    """Files and bytes vlint would read, and its Python files."""
    sys.path.insert(0, str(REPO))
    from vlint.discover import discover

    sources = discover([target], cwd=target)
    size = sum(s.path.stat().st_size for s in sources)
    return len(sources), size, sum(1 for s in sources if s.kind == "python")


def libcst_parse_time(args: argparse.Namespace, target: Path) -> dict[str, float]:
    """One core, in a fresh process: libcst parse-only time of the Python files vlint's prefilter keeps, whole
    and as vlint hands them to libcst (the statements it cannot need left out, `vlint/extract/python/slicer.py`)."""
    code = r'''
import json, sys, time
from vlint.discover import discover
from vlint.extract.python.guard import Refusal, parse_with_cpython
from vlint.extract.python.prefilter import calls_match, words_match
from vlint.extract.python.slicer import slice_module
from vlint.extract.python.survey import Survey
t0 = time.process_time()
texts, sliced = [], []
for s in discover([sys.argv[1]], cwd=sys.argv[1]):
    if s.kind != "python":
        continue
    text = s.path.read_bytes().decode("utf-8", "replace")
    tree = parse_with_cpython(text) if words_match(text) else None
    if tree is None or isinstance(tree, Refusal):
        continue
    survey = Survey(tree)
    if calls_match(survey):
        texts.append(text)
        sliced.append(slice_module(text, tree, survey).text)
select = time.process_time() - t0
import libcst
def parse_all(group):
    t1 = time.process_time()
    for text in group:
        try:
            libcst.parse_module(text)
        except Exception:
            pass
    return time.process_time() - t1
print(json.dumps({"files": len(texts), "bytes": sum(map(len, texts)), "parse_cpu": parse_all(texts),
                  "lines": sum(t.count("\n") for t in texts), "sliced_lines": sum(t.count("\n") for t in sliced),
                  "sliced_bytes": sum(map(len, sliced)), "sliced_parse_cpu": parse_all(sliced),
                  "select_cpu": select}))
'''
    sample = measure([args.vlint, "-c", code, str(target)], cwd=REPO)
    return json.loads(sample.stdout)


def alternate(commands: dict[str, tuple], runs: int, timeout: float | None,
              log: str) -> dict[str, Series]:
    series = {name: Series() for name in commands}
    names = list(commands)
    for r in range(runs):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            argv, env, *where = commands[name]
            sample = measure(argv, env=env, timeout=timeout, cwd=where[0] if where else None)
            series[name].samples.append(sample)
            print(f"  [{log}] run {r + 1}/{runs} {name}: {sample.wall:.2f} s wall, {sample.cpu:.2f} s cpu, "
                  f"{sample.rss_mb:.0f} MB, rc {sample.rc}", flush=True)
    return series


def paired_ratio(a: Series, b: Series) -> float:
    return statistics.median(x.wall / y.wall for x, y in zip(a.samples, b.samples, strict=True))


def bench_corpus(args: argparse.Namespace, label: str, target: Path, expected: dict[str, int] | None) -> dict:
    files, size, py_files = corpus_stats(target)
    print(f"\n== {label}: {files} files ({py_files} Python), {size / 1e6:.1f} MB", flush=True)
    tools = [t for t in args.tools.split(",") if t]
    if "fixit" in tools and args.fixit_max_files and files > args.fixit_max_files:
        print(f"  Fixit skipped: {files} files is over --fixit-max-files {args.fixit_max_files}")
        tools.remove("fixit")
    commands: dict[str, tuple] = {"vlint": (vlint_cmd(args, target, cache=False), tool_env(), target)}
    if "semgrep" in tools:
        commands["semgrep"] = (semgrep_cmd(target), tool_env())
    if "fixit" in tools:
        commands["fixit"] = (fixit_cmd(target), tool_env())
    series = alternate(commands, args.runs, args.timeout, label)
    result: dict = {"label": label, "files": files, "python_files": py_files, "bytes": size}
    for name, s in series.items():
        result[name] = {"wall": s.median("wall"), "cpu": s.median("cpu"), "rss_mb": s.median("rss_mb"),
                        "walls": [round(x.wall, 3) for x in s.samples]}
    vlint_out = series["vlint"].samples[-1]
    result["vlint"]["findings"] = vlint_findings(vlint_out)
    if "semgrep" in series:
        result["vlint_over_semgrep"] = paired_ratio(series["vlint"], series["semgrep"])
        result["semgrep"]["findings"] = semgrep_findings(series["semgrep"].samples[-1])
    if "fixit" in series:
        result["vlint_over_fixit"] = paired_ratio(series["vlint"], series["fixit"])
        result["fixit"]["findings"] = fixit_findings(series["fixit"].samples[-1])

    # Warm: one priming run fills a fresh cache, then cold (no cache) and warm runs alternate.
    with tempfile.TemporaryDirectory(prefix="vlint-bench-cache-") as cache:
        measure(vlint_cmd(args, target, cache=True), env=tool_env(Path(cache)), cwd=target)
        warm = alternate({"vlint-cold": (vlint_cmd(args, target, cache=False), tool_env(), target),
                          "vlint-warm": (vlint_cmd(args, target, cache=True), tool_env(Path(cache)), target)},
                         args.runs, args.timeout, label)
    result["warm"] = {"cold_wall": warm["vlint-cold"].median("wall"), "warm_wall": warm["vlint-warm"].median("wall"),
                      "warm_over_cold": paired_ratio(warm["vlint-warm"], warm["vlint-cold"]),
                      "warm_findings": vlint_findings(warm["vlint-warm"].samples[-1])}
    if args.parse_time:
        # One core each, alternating: libcst's bare parse of the files vlint parses, and a whole vlint scan
        # in one process (-j 1; the pooled scan's CPU also pays two workers sharing a core's pipeline).
        parses, single = [], Series()
        for r in range(args.runs):
            parses.append(libcst_parse_time(args, target))
            single.samples.append(measure([*vlint_cmd(args, target, cache=False), "-j", "1"], env=tool_env(),
                                          cwd=target))
            print(f"  [{label}] run {r + 1}/{args.runs} libcst parse {parses[-1]['parse_cpu']:.2f} s "
                  f"(sliced {parses[-1]['sliced_parse_cpu']:.2f} s), vlint -j 1: {single.samples[-1].cpu:.2f} s cpu",
                  flush=True)
        lib = dict(parses[-1])
        for key in ("parse_cpu", "sliced_parse_cpu", "select_cpu"):
            lib[key] = statistics.median(p[key] for p in parses)
        lib["vlint_j1_cpu"] = single.median("cpu")
        lib["vlint_j1_cpu_over_parse_cpu"] = statistics.median(
            x.cpu / p["parse_cpu"] for x, p in zip(single.samples, parses, strict=True))
        lib["vlint_j1_cpu_over_sliced_parse_cpu"] = statistics.median(
            x.cpu / p["sliced_parse_cpu"] for x, p in zip(single.samples, parses, strict=True))
        lib["vlint_cpu_over_parse_cpu"] = result["vlint"]["cpu"] / max(lib["parse_cpu"], 1e-9)
        lib["vlint_wall_over_parse_cpu"] = result["vlint"]["wall"] / max(lib["parse_cpu"], 1e-9)
        result["libcst"] = lib
    if expected is not None:
        found = result["vlint"]["findings"]
        result["expected_findings"] = expected
        result["planted_exact"] = found == expected and result["warm"]["warm_findings"] == expected
    print(json.dumps(result, indent=1), flush=True)
    return result


def bench_one_file(args: argparse.Namespace, files: dict[str, Path]) -> dict:
    """A pre-commit hook's run: one file, cold, vlint against Fixit."""
    out = {}
    for label, path in files.items():
        commands = {"vlint": (vlint_cmd(args, path, cache=False), tool_env())}
        if "fixit" in args.tools:
            commands["fixit"] = (fixit_cmd(path), tool_env())
        series = alternate(commands, args.runs, args.timeout, f"one file: {label}")
        entry = {name: s.median("wall") for name, s in series.items()}
        if "fixit" in series:
            entry["vlint_over_fixit"] = paired_ratio(series["vlint"], series["fixit"])
        out[label] = entry
    print(json.dumps(out, indent=1), flush=True)
    return out


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "python": sys.version.split()[0], "load_at_start": os.getloadavg()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, help="a real tree to scan (e.g. a vLLM checkout)")
    parser.add_argument("--synthetic", default="", help="comma-separated synthetic sizes, e.g. 1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tools", default="vlint,semgrep,fixit")
    parser.add_argument("--fixit-max-files", type=int, default=20000,
                        help="skip Fixit on corpora larger than this (it takes ~0.1 s a Python file)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds before a run is killed")
    parser.add_argument("--no-parse-time", dest="parse_time", action="store_false")
    parser.add_argument("--synthetic-dir", type=Path, default=Path(tempfile.gettempdir()) / "vlint-bench")
    parser.add_argument("--vlint", default=sys.executable, help="the Python that has vlint installed")
    parser.add_argument("--json", type=Path, help="also write all results here")
    args = parser.parse_args()
    if any(t in args.tools for t in ("semgrep", "fixit")) and not BENCH_BIN.is_dir():
        parser.error("bench/.venv is missing: python -m venv bench/.venv && bench/.venv/bin/pip install semgrep fixit")

    results: dict = {"machine": machine(), "corpora": [], "argv": sys.argv}
    print(json.dumps(results["machine"]))
    # As installed: pip writes every module's bytecode at install time (as it did for semgrep and Fixit in
    # bench/.venv); an editable checkout under PYTHONDONTWRITEBYTECODE would compile vlint's sources on
    # every run instead (~0.05-0.1 s of a one-file run).
    subprocess.run([args.vlint, "-m", "compileall", "-q", str(REPO / "vlint")], check=True)
    one_files: dict[str, Path] = {}
    if args.repo is not None:
        results["corpora"].append(bench_corpus(args, f"repo {args.repo.name}", args.repo.resolve(), None))
    sys.path.insert(0, str(HERE))
    from synth import generate

    for size in [int(s) for s in args.synthetic.split(",") if s]:
        target = args.synthetic_dir / f"synthetic-{size}"
        manifest = generate(target, size)
        results["corpora"].append(bench_corpus(args, f"synthetic {size}", target,
                                               manifest["expected_findings"]))  # type: ignore[arg-type]
        if not one_files:
            plain = next(target.glob("pkg*/mod_*/core.py"))
            planted = next(target.glob("services/chat_*/client.py"))
            one_files = {"no triggers (plain module)": plain, "planted chat call": planted}
    if one_files:
        results["one_file"] = bench_one_file(args, one_files)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    exact = [c["planted_exact"] for c in results["corpora"] if "planted_exact" in c]
    if exact and not all(exact):
        print("PLANTED FINDINGS DIFFER", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
