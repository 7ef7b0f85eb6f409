"""The plain Python API under the CLI: `scan(paths, config) -> Result`.

discover → extract (`vlint/extract/runner.py`: cached, in worker processes; the rest of the project for a
run on a few files, `vlint/project.py`) → link → rules (`vlint.checks`, suppressions included) → filters
(the findings that touch the given files) → Result. Nothing here prints, and nothing here changes
the calling process: no garbage-collector settings, no signal handlers, no patched library (the speed
tricks that need such things live in the extraction workers, `vlint/extract/pool.py`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from vlint.config import Config
from vlint.discover import SourceFile, discover, display_name, kind_of
from vlint.extract.runner import ProjectCache, extract_all, extract_texts
from vlint.facts import FileFacts, ParseError
from vlint.findings import CONFIDENCE_ORDER, Finding, Result
from vlint.project import Prefetched, ProjectRun, covers, find_project_root, narrow, prefetch, touches
from vlint.suppress import SuppressionIndex

__all__ = ["Result", "scan"]


def scan(paths: Sequence[str | Path] = (".",), config: Config | None = None, *,
         stdin: tuple[str, str] | None = None, cwd: Path | None = None,
         project_root: str | Path | None = None) -> Result:
    """Lint `paths`; `stdin=(text, filename)` lints text as if it were that file (editors).

    The paths are linked against their whole project (`vlint/project.py`: `project_root`, else the one
    found from the first path) and the result holds the project's findings that touch them; with
    `config.isolated`, or outside any project, only the given paths are read."""
    config = config or Config()
    cwd = Path(os.path.abspath(cwd or Path.cwd()))
    result = Result()
    suppressions = SuppressionIndex()
    if stdin is not None:
        stdin = (stdin[0], display_name(stdin[1], cwd))
    # given paths are relative to the process's working folder (as `discover` takes them), stdin's name to `cwd`
    start = cwd / stdin[1] if stdin is not None else Path(os.path.abspath(paths[0] if paths else cwd))
    root = Path(os.path.abspath(cwd / project_root)) if project_root is not None else find_project_root(start)
    widen = root is not None and not config.isolated and (stdin is not None or not covers(paths, root))
    given_dirs = [Path(os.path.abspath(p)) for p in paths if stdin is None and os.path.isdir(p)]
    cache = _open_cache(root, [*([root] if widen and root else []), *given_dirs], config, cwd,
                        wanted=stdin is None or widen)
    scope: frozenset[str] | None = None
    ahead: list[Prefetched] = []

    def while_waiting() -> None:  # while a worker parses the given files: the rules, and the project's walk
        _prepare_rules()
        if widen and root is not None and cache is not None:
            ahead.append(prefetch(root, cwd, config, cache))

    try:
        if stdin is not None:
            given, sources = _extract_stdin(stdin, config, suppressions, cwd, while_waiting)
        else:
            given, sources = _extract_paths(paths, config, cwd, suppressions, result.errors, cache, while_waiting)
        result.files_scanned = len(sources)
        for facts in given:
            result.errors.extend(facts.errors)
        all_facts = given
        if widen and root is not None:
            run = ProjectRun(root, frozenset(s.display for s in sources), cwd, config, cache,
                             ahead[0] if ahead else None)
            widened = run.facts(given, sources, suppressions, while_waiting=_prepare_rules)
            if widened is not None:
                (all_facts, note), scope = widened, run.given
                result.linked_to_project = True
                result.notes.extend([note] if note else [])
    finally:
        if cache is not None:
            cache.store.close()

    from vlint.checks.run import run_checks
    from vlint.link import link

    project = link(all_facts, cwd, max_file_size=config.max_file_size)
    # the part of the project that may touch a given file is judged first; the whole of it only when that
    # reports something (the fix planner needs every suppressed finding of the project)
    judged = narrow(project, scope) if scope is not None else project
    kept, suppressed = run_checks(judged, suppressions, config, base_dir=config.root or cwd)
    kept = _reported(kept, scope, config)
    if kept and judged is not project:
        kept, suppressed = run_checks(project, suppressions, config, base_dir=config.root or cwd)
        kept = _reported(kept, scope, config)
    result.findings = sorted(kept, key=Finding.sort_key)
    result.suppressed = sorted((f for f in suppressed if scope is None or touches(f, scope)), key=Finding.sort_key)
    if stdin is None and result.findings:  # the fix stage: each finding learns whether and how it can be fixed
        from vlint.fix import plan_fixes

        # the whole project's suppressed findings: one of them in a fix's group holds the fix back
        plan_fixes(project, result.findings, sorted(suppressed, key=Finding.sort_key), cwd=cwd,
                   online=config.online)
    result.errors.sort(key=lambda e: (e.path, e.line or 0))
    return result


def _reported(findings: list[Finding], scope: frozenset[str] | None, config: Config) -> list[Finding]:
    """The findings a run reports: those that touch a given file (a run on a few files), at or above the
    configured confidence."""
    least = CONFIDENCE_ORDER[config.min_confidence]
    return [f for f in findings if (scope is None or touches(f, scope)) and CONFIDENCE_ORDER[f.confidence] >= least]


def _extract_stdin(stdin: tuple[str, str], config: Config, suppressions: SuppressionIndex, cwd: Path,
                   while_waiting: Callable[[], object]) -> tuple[list[FileFacts], list[SourceFile]]:
    text, display = stdin
    kind = kind_of(Path(display), text[:128].encode()) or "python"
    suppressions.add_file(display, text)
    source = SourceFile(os.path.abspath(cwd / display), display, kind)
    return extract_texts([(kind, text, display)], config, while_waiting=while_waiting), [source]


def _extract_paths(paths: Sequence[str | Path], config: Config, cwd: Path, suppressions: SuppressionIndex,
                   errors: list[ParseError], cache: ProjectCache | None,
                   while_waiting: Callable[[], object]) -> tuple[list[FileFacts], list[SourceFile]]:
    """Discover and extract; the files that said something (most say nothing: keeping them would only
    cost memory), and the files scanned."""
    walk_errors: list[tuple[str, str]] = []
    kept: list[FileFacts] = []
    memo = cache.memo if cache is not None else None
    sources = discover(paths, excluded=config.all_excludes, cwd=cwd, errors=walk_errors, memo=memo)
    store, manifest = (cache.store, cache.manifest) if cache is not None else (None, None)
    for facts, text in extract_all(sources, config, store=store, manifest=manifest, while_waiting=while_waiting):
        if not facts.says_nothing:
            kept.append(facts)
        if text is not None:
            suppressions.add_file(facts.path, text)
    errors.extend(ParseError(path, reason) for path, reason in walk_errors)
    return kept, sources


def _prepare_rules() -> None:
    """What the rules need before they run (their modules, the model knowledge and its patterns), made
    while the workers extract: a one-file pre-commit run otherwise waits for a worker's parse and then
    spends ~30 ms on this."""
    import vlint.checks.run  # noqa: F401
    import vlint.link  # noqa: F401
    from vlint.classify import classify_name
    from vlint.project import prepare_narrow

    classify_name("")
    prepare_narrow()


def _open_cache(root: Path | None, scanned: Sequence[Path], config: Config, cwd: Path, *,
                wanted: bool) -> ProjectCache | None:
    """The cache of the project (the folder the configuration was found in, else the working folder, outside
    any project); none for a lone text from stdin, which has nothing to look up."""
    if not config.cache or not wanted:
        return None
    return ProjectCache.open(root or config.root or cwd, scanned, config, cwd)
