"""The plain Python API under the CLI: `scan(paths, config) -> Result`.

discover → extract (per file, cached, in parallel for large scans) → link → classify + judge →
suppressions, baseline and filters → Result. Nothing here prints.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vlint.config import Config
from vlint.discover import SourceFile, discover
from vlint.facts import FileFacts, ParseError
from vlint.findings import CONFIDENCE_ORDER, SEVERITY_ORDER, Finding
from vlint.suppress import SuppressionIndex

BINARY_SNIFF = 8192


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    files_scanned: int = 0
    baselined: int = 0
    notes: list[str] = field(default_factory=list)

    def exit_code(self, fail_on: str) -> int:
        if fail_on == "never":
            return 0
        threshold = SEVERITY_ORDER[fail_on]
        return 1 if any(SEVERITY_ORDER[f.severity] >= threshold for f in self.findings) else 0


def read_source(source: SourceFile, max_size: int) -> tuple[str | None, ParseError | None]:
    """The file's text, or why it was skipped. Binary files are skipped quietly; odd bytes decode safely."""
    _, text, error = read_bytes_and_text(source, max_size)
    return text, error


def read_bytes_and_text(source: SourceFile, max_size: int) -> tuple[bytes | None, str | None, ParseError | None]:
    """One read of the file: its bytes (the cache key hashes them) and its decoded text."""
    try:
        with open(source.location, "rb") as fh:
            if max_size:
                size = os.fstat(fh.fileno()).st_size
                if size > max_size:
                    return None, None, ParseError(source.display,
                                                  f"skipped: {size} bytes is over max-file-size ({max_size})")
            data = fh.read()
    except OSError as exc:
        return None, None, ParseError(source.display, f"cannot read: {exc.strerror or exc}")
    if b"\x00" in data[:BINARY_SNIFF]:
        return data, None, None
    try:
        return data, data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data, data.decode("utf-8", errors="replace"), None


def extract_text(kind: str, text: str, display: str) -> FileFacts:
    """Run one extractor, turning any failure into an error entry: one bad file never stops a scan."""
    from vlint.extract import get_extractor, passes_word_check

    if not passes_word_check(kind, text):
        from vlint.extract.syntax import dropped_file_errors

        # provably nothing there, and the extractor stays unimported; a Python syntax error is still listed
        return FileFacts(display, kind, errors=dropped_file_errors(kind, text, display))
    extractor = get_extractor(kind)
    if extractor is None:
        return FileFacts(display, kind)
    # The cyclic garbage collector scans the young objects of a parse over and over as the tree grows;
    # an extractor leaves almost no cycles behind (its trees are freed by reference counting as it
    # returns), so the collector waits for the file to be done (python extraction on vLLM: ~5% of CPU).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return extractor(text, display)
    except RecursionError:
        facts = FileFacts(display, kind)
        facts.errors.append(ParseError(display, f"{kind} input nested too deeply to analyse"))
        return facts
    except Exception as exc:  # noqa: BLE001 - a crash on one file must not lose the others
        facts = FileFacts(display, kind)
        facts.errors.append(ParseError(display, f"internal error in the {kind} extractor: "
                                                f"{type(exc).__name__}: {exc}"))
        return facts
    finally:
        if collecting:
            gc.enable()


def extract_file(source: SourceFile, config: Config) -> tuple[FileFacts, str | None]:
    text, error = read_source(source, config.max_file_size)
    if text is None:
        facts = FileFacts(source.display, source.kind)
        if error is not None:
            facts.errors.append(error)
        return facts, None
    return extract_text(source.kind, text, source.display), text


def scan(paths: Sequence[str | Path] = (".",), config: Config | None = None, *,
         stdin: tuple[str, str] | None = None, cwd: Path | None = None) -> Result:
    """Lint `paths`; `stdin=(text, filename)` lints text as if it were that file (editors)."""
    config = config or Config()
    cwd = cwd or Path.cwd()
    walk_errors: list[tuple[str, str]] = []
    result = Result()
    suppressions = SuppressionIndex()
    all_facts: list[FileFacts] = []

    if stdin is not None:
        from vlint.discover import kind_of

        text, filename = stdin
        kind = kind_of(Path(filename), text[:128].encode()) or "python"
        facts = extract_text(kind, text, filename)
        suppressions.add_file(filename, text)
        all_facts.append(facts)
        result.files_scanned = 1
    else:
        from vlint.filecache import cache_dir, extract_all

        memo = cache_dir(config, cwd) if config.cache else None
        sources = discover(paths, excluded=config.all_excludes, cwd=cwd, errors=walk_errors, memo=memo)

        for facts, text in extract_all(sources, config):
            if facts.serves or facts.requests or facts.env or facts.errors:
                all_facts.append(facts)  # most files say nothing: keeping them would only cost memory
            if text is not None:
                suppressions.add_file(facts.path, text)
        result.files_scanned = len(sources)

    for path, reason in walk_errors:
        result.errors.append(ParseError(path, reason))
    for facts in all_facts:
        result.errors.extend(facts.errors)

    from vlint.extract import quiet_collector

    with quiet_collector():
        from vlint.checks.run import run_checks
        from vlint.link import link

    project = link(all_facts, cwd, max_file_size=config.max_file_size)
    kept, suppressed = run_checks(project, suppressions, config, base_dir=config.root or cwd)
    min_conf = CONFIDENCE_ORDER[config.min_confidence]
    kept = [f for f in kept if CONFIDENCE_ORDER[f.confidence] >= min_conf]
    result.findings = sorted(kept, key=Finding.sort_key)
    result.suppressed = sorted(suppressed, key=Finding.sort_key)
    if stdin is None and result.findings:  # the fix stage: each finding learns whether and how it can be fixed
        from vlint.fix import plan_fixes

        plan_fixes(project, result.findings, result.suppressed, cwd=cwd, online=config.online)
    result.errors.sort(key=lambda e: (e.path, e.line or 0))
    return result


# Files to parse (after the prefilter and the cache) before a process pool pays for its start-up: the
# pool costs ~0.1 s and each worker imports libcst (~0.5 s, in parallel), a parse costs 10-20 ms.
PARALLEL_MIN_FILES = 64


def default_jobs(n_files: int, config: Config) -> int:
    """Worker processes for `n_files` files that need an extractor run."""
    if config.jobs:
        return config.jobs
    return min(_usable_cpus(), 8) if n_files >= PARALLEL_MIN_FILES else 1


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
