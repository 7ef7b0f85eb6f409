"""The plain Python API under the CLI: `scan(paths, config) -> Result`.

discover → extract (`vlint/extract/runner.py`: cached, in worker processes) → link → rules
(`vlint.checks`, suppressions included) → filters → Result. Nothing here prints, and nothing here changes
the calling process: no garbage-collector settings, no signal handlers, no patched library (the speed
tricks that need such things live in the extraction workers, `vlint/extract/pool.py`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from vlint.config import Config
from vlint.discover import discover, kind_of, repository_top
from vlint.extract.runner import ProjectCache, extract_all, extract_texts
from vlint.facts import FileFacts, ParseError
from vlint.findings import CONFIDENCE_ORDER, Finding, Result
from vlint.suppress import SuppressionIndex

__all__ = ["Result", "scan"]


def scan(paths: Sequence[str | Path] = (".",), config: Config | None = None, *,
         stdin: tuple[str, str] | None = None, cwd: Path | None = None) -> Result:
    """Lint `paths`; `stdin=(text, filename)` lints text as if it were that file (editors)."""
    config = config or Config()
    cwd = cwd or Path.cwd()
    result = Result()
    suppressions = SuppressionIndex()
    if stdin is not None:
        all_facts = _extract_stdin(stdin, config, suppressions)
        result.files_scanned = 1
    else:
        all_facts, result.files_scanned = _extract_paths(paths, config, cwd, suppressions, result.errors)
    for facts in all_facts:
        result.errors.extend(facts.errors)

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


def _extract_stdin(stdin: tuple[str, str], config: Config, suppressions: SuppressionIndex) -> list[FileFacts]:
    text, filename = stdin
    kind = kind_of(Path(filename), text[:128].encode()) or "python"
    suppressions.add_file(filename, text)
    return extract_texts([(kind, text, filename)], config, while_waiting=_prepare_rules)


def _extract_paths(paths: Sequence[str | Path], config: Config, cwd: Path, suppressions: SuppressionIndex,
                   errors: list[ParseError]) -> tuple[list[FileFacts], int]:
    """Discover and extract; the files that said something (most say nothing: keeping them would only
    cost memory), and how many files were scanned."""
    cache = _open_cache(paths, config, cwd)
    walk_errors: list[tuple[str, str]] = []
    kept: list[FileFacts] = []
    try:
        memo = cache.memo if cache is not None else None
        sources = discover(paths, excluded=config.all_excludes, cwd=cwd, errors=walk_errors, memo=memo)
        store, manifest = (cache.store, cache.manifest) if cache is not None else (None, None)
        for facts, text in extract_all(sources, config, store=store, manifest=manifest,
                                       while_waiting=_prepare_rules):
            if not facts.says_nothing:
                kept.append(facts)
            if text is not None:
                suppressions.add_file(facts.path, text)
    finally:
        if cache is not None:
            cache.store.close()
    errors.extend(ParseError(path, reason) for path, reason in walk_errors)
    return kept, len(sources)


def _prepare_rules() -> None:
    """What the rules need before they run (their modules, the model knowledge and its patterns), made
    while the workers extract: a one-file pre-commit run otherwise waits for a worker's parse and then
    spends ~30 ms on this."""
    import vlint.checks.run  # noqa: F401
    import vlint.link  # noqa: F401
    from vlint.classify import classify_name

    classify_name("")


def _open_cache(paths: Sequence[str | Path], config: Config, cwd: Path) -> ProjectCache | None:
    if not config.cache:
        return None
    scanned = [Path(p) if Path(p).is_absolute() else cwd / p for p in paths]
    return ProjectCache.open(_cache_root(scanned, config, cwd), [p for p in scanned if p.is_dir()], config, cwd)


def _cache_root(scanned: Sequence[Path], config: Config, cwd: Path) -> Path:
    """The folder a scan's cache belongs to: the configuration's folder, else the repository holding the
    first scanned path, else the working folder."""
    if config.root is not None:
        return config.root
    first = os.path.abspath(scanned[0]) if scanned else os.fspath(cwd)
    top = repository_top(first if os.path.isdir(first) else os.path.dirname(first))
    return Path(top) if top is not None else cwd
