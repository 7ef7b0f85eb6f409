"""The command line: a thin click layer over `vlint.api.scan` and friends.

Exit codes: 0 nothing at or above the fail level, 1 findings, 2 usage, configuration or internal error.
`main(argv) -> int` is what tests and the pre-commit hook call.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from vlint import __version__
from vlint.report.escape import printable, safe_json

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Group(click.Group):
    """`vlint PATH...` and `vlint --verify PATH` mean `vlint scan ...`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["scan", *args]
        elif not args:
            args = ["scan"]
        return super().parse_args(ctx, args)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vlint")
def cli() -> None:
    """vlint: find base (pretrained-only) models served by vLLM and used through chat APIs or at
    very low temperature, before production does.

    \b
    vlint [scan] [OPTIONS] [PATH]...   lint PATHS (scan is the default command; `vlint scan --help`)
    vlint --fix [PATH]...              swap base models for their known chat siblings (--diff: preview)
    vlint --verify [PATH]...           replay findings through vLLM on a GPU and show the echo
    """


def _parse_engine_args(values: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        if "=" not in item:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--engine-arg")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _parse_model_paths(values: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in values:
        if "=" not in item:
            raise click.BadParameter(f"expected ID=DIR, got {item!r}", param_hint="--model-path")
        key, path = item.split("=", 1)
        out[key.strip()] = path.strip()
    return out


_FORMATS = ["text", "full", "concise", "json", "sarif", "github"]


def _rule_list(values: Sequence[str]) -> list[str]:
    """Repeatable options that also take comma lists: `--select VL001,VL002 --select base-model`."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="text", show_default=True,
              help="Output format. `text` is the human format in its default style, `full` (a source frame and "
                   "the evidence under each finding); `concise` is one line per finding.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to FILE.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Use this vlint.toml or pyproject.toml instead of the closest one.")
@click.option("--select", multiple=True, help="Only these rules: codes, names or prefixes (comma list; repeatable).")
@click.option("--extend-select", multiple=True, help="These rules too, on top of select (comma list; repeatable).")
@click.option("--ignore", multiple=True, help="Skip these rules: codes, names or prefixes (comma list; repeatable).")
@click.option("--exclude", multiple=True, help="Extra glob to exclude (repeatable).")
@click.option("--temperature-threshold", type=float, help="VL002 fires below this temperature (default 0.5).")
@click.option("--fail-on", type=click.Choice(["info", "warning", "error", "never"]),
              help="Lowest severity that makes the exit code 1 (default warning).")
@click.option("--min-confidence", type=click.Choice(["low", "medium", "high"]), help="Hide less certain findings.")
@click.option("--online/--offline", default=None,
              help="Ask the Hugging Face Hub about unknown models and unlisted chat siblings (cached).")
@click.option("--fix", "apply_fixes", is_flag=True,
              help="Swap base models for their known chat siblings where they are named, then report what is left.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--color", "color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour the human formats (auto: on a terminal, unless NO_COLOR is set).")
@click.option("--statistics", is_flag=True, help="Count findings per rule instead of listing them.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the per-file cache.")
@click.option("--jobs", "-j", type=int, help="Worker processes for extraction (default: automatic).")
@click.option("--stdin-filename", help="Read the file from standard input and report it under this name.")
@click.option("--isolated", is_flag=True,
              help="Read only the given paths; by default they are linked against the rest of their project.")
@click.option("--project-root", type=click.Path(file_okay=False, path_type=Path),
              help="The project the given paths are linked against (default: the nearest folder above them "
                   "holding .git, a vlint.toml or a pyproject.toml with [tool.vlint]).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only findings that are not in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Record the current findings in FILE and exit 0.")
@click.option("--show-suppressed", is_flag=True, help="Also print suppressed findings (human formats).")
@click.option("--verify", is_flag=True, help="Replay base-model findings through vLLM (needs vLLM; see README).")
@click.option("--samples", type=int, default=8, show_default=True, help="--verify: samples per prompt.")
@click.option("--model-path", multiple=True, help="--verify: ID=DIR, where a model's files are (repeatable).")
@click.option("--allow-download", is_flag=True, help="--verify: let vLLM download models from the Hub.")
@click.option("--engine-arg", multiple=True, help="--verify: KEY=VALUE passed to vllm.LLM (repeatable).")
@click.option("--trust-remote-code", is_flag=True, help="--verify: allow the model's own Python code to run.")
@click.option("--verify-report", type=click.Path(dir_okay=False, path_type=Path),
              help="--verify: write a self-contained HTML report to FILE.")
@click.option("--quiet", "-q", is_flag=True,
              help="Print the findings only: no rule pointers, no summary line, no progress.")
@click.option("--debug", is_flag=True, help="Show full tracebacks for internal errors.")
def scan(paths: tuple[str, ...], fmt: str, output: Path | None, config_file: Path | None, select: tuple[str, ...],
         extend_select: tuple[str, ...], ignore: tuple[str, ...], exclude: tuple[str, ...],
         temperature_threshold: float | None, fail_on: str | None, min_confidence: str | None, online: bool | None,
         apply_fixes: bool, show_diff: bool, color: str, statistics: bool, no_cache: bool, jobs: int | None,
         stdin_filename: str | None, isolated: bool, project_root: Path | None, exit_zero: bool, baseline: Path | None, write_baseline: Path | None,
         show_suppressed: bool, verify: bool, samples: int, model_path: tuple[str, ...], allow_download: bool,
         engine_arg: tuple[str, ...], trust_remote_code: bool, verify_report: Path | None, quiet: bool,
         debug: bool) -> None:
    """Lint PATHS (default: the current folder)."""
    if _OWN_PROCESS:
        _own_process_start(paths, stdin_filename)
    from vlint.api import scan as run_scan
    from vlint.config import load_config

    if baseline is not None and write_baseline is not None:
        raise click.UsageError("--baseline and --write-baseline cannot be used together: write a baseline "
                               "first, then scan against it")
    if (apply_fixes or show_diff) and (stdin_filename or verify or write_baseline is not None):
        raise click.UsageError("--fix and --diff edit files on disk: they do not combine with --stdin-filename, "
                               "--verify or --write-baseline")
    targets = list(paths) or ["."]
    overrides: dict[str, Any] = {}
    for key, values in (("select", select), ("extend-select", extend_select), ("ignore", ignore)):
        if values:
            overrides[key] = _rule_list(values)
    if exclude:
        overrides["extend-exclude"] = list(exclude)
    if temperature_threshold is not None:
        overrides["temperature-threshold"] = temperature_threshold
    if fail_on:
        overrides["fail-on"] = fail_on
    if min_confidence:
        overrides["min-confidence"] = min_confidence
    if online is not None:
        overrides["online"] = online
    if no_cache:
        overrides["cache"] = False
    if jobs is not None:
        overrides["jobs"] = jobs
    if isolated:
        overrides["isolated"] = True
    if project_root is not None and not project_root.is_dir():
        _fail(f"--project-root {project_root}: no such folder")
    if not stdin_filename:
        _require_paths(targets)
    start = Path(stdin_filename).parent if stdin_filename else Path(targets[0])
    if not start.exists():
        start = Path.cwd()
    config = load_config(start if start.is_dir() else start.parent, config_file, overrides)

    asked_quiet = quiet  # only --quiet silences the notes: pre-commit shows them when the hook fails
    quiet = quiet or os.environ.get("PRE_COMMIT") == "1"  # pre-commit sets PRE_COMMIT=1: no progress there
    verify_options = _verify_options(quiet, samples, model_path, allow_download, engine_arg,
                                     trust_remote_code) if verify else None

    stdin_text = _read_stdin() if stdin_filename else None
    if stdin_filename and stdin_text is not None:
        from vlint.discover import display_name

        stdin = (stdin_text, display_name(stdin_filename, Path.cwd()))  # as the scan reports it
    else:
        stdin = None
    try:
        result = run_scan(targets, config, stdin=stdin, project_root=project_root)
    finally:
        from vlint.extract import early

        early.discard()  # a worker started ahead that the scan did not need
    if not asked_quiet:
        for note in result.notes:
            _say_error(note)

    if write_baseline is not None:
        from vlint.baseline import write_baseline as write

        count = write(result.findings, write_baseline)
        click.echo(f"Wrote {count} finding{'s' if count != 1 else ''} to baseline {write_baseline}.", err=True)
        raise SystemExit(EXIT_OK)
    if baseline is not None:
        from vlint.baseline import filter_new

        result.findings, result.baselined = filter_new(result.findings, baseline)

    if show_diff or apply_fixes:
        patches = _run_fixes(result.findings, write=not show_diff)
        if show_diff:
            from vlint.fix import unified_diff

            _emit(unified_diff(patches), output)
            raise SystemExit(EXIT_OK if exit_zero or not patches else EXIT_FINDINGS)
        result = run_scan(targets, config, project_root=project_root)  # the rescan: what is left after the fixes
        if baseline is not None:
            from vlint.baseline import filter_new

            result.findings, result.baselined = filter_new(result.findings, baseline)

    if verify_options is not None:
        from vlint.verify import verify_findings, write_html_report

        verify_findings(result.findings, verify_options)
        if verify_report is not None:
            write_html_report(result.findings, verify_report)

    _emit(_render(result, fmt, color=color, output=output, show_suppressed=show_suppressed, statistics=statistics,
                  quiet=quiet, stdin=stdin), output)
    code = EXIT_OK if exit_zero else result.exit_code(config.fail_on)
    if verify_options is not None and not exit_zero:
        code = _verify_exit_code(result, code)
    raise SystemExit(code)


def _run_fixes(findings: Sequence[Any], *, write: bool) -> list[Any]:
    """Build the patches of every applicable fix and, when `write`, apply them; say on standard error what
    changed (or would) and which findings no fix can settle, and why."""
    from vlint.fix import build_patches, write_patches

    fixes = list(dict.fromkeys(f.autofix for f in findings if f.autofix is not None and f.autofix.applicable))
    try:
        patches = build_patches(fixes, Path.cwd())
    except ValueError as exc:
        _fail(f"nothing was fixed: {exc}")
    if write:
        write_patches(patches, Path.cwd())
    verb = "Fixed" if write else "Would fix"
    for patch in patches:
        for edit in patch.edits:
            click.echo(printable(f"{edit.path}:{edit.line}:{edit.column}: {edit.old} -> {edit.new}"), err=True)
    settled = sum(1 for f in findings if f.fixable)
    edits = sum(len(p.edits) for p in patches)
    click.echo(f"{verb} {settled} finding{'s' if settled != 1 else ''} with {edits} edit{'s' if edits != 1 else ''} "
               f"in {len(patches)} file{'s' if len(patches) != 1 else ''}.", err=True)
    for f in findings:
        if f.autofix is not None and not f.autofix.applicable:
            click.echo(printable(f"{f.path}:{f.line}:{f.column}: {f.rule} {f.autofix.describe()}"), err=True)
    return patches


def _verify_options(quiet: bool, samples: int, model_path: tuple[str, ...], allow_download: bool,
                    engine_arg: tuple[str, ...], trust_remote_code: bool) -> Any:
    from vlint.verify import VerifyOptions, check_available

    options = VerifyOptions(
        samples=samples, model_paths=_parse_model_paths(model_path), allow_download=allow_download,
        engine_args=_parse_engine_args(engine_arg), trust_remote_code=trust_remote_code,
        progress=None if quiet else (lambda msg: click.echo(printable(msg), err=True)),
    )
    check_available(options)  # fail fast, before the scan, when vLLM is missing
    return options


def _render(result: Any, fmt: str, *, color: str, output: Path | None, show_suppressed: bool, statistics: bool,
            quiet: bool, stdin: tuple[str, str] | None) -> str:
    from vlint.report import render
    from vlint.report.frame import SourceLines
    from vlint.report.style import use_colour
    from vlint.report.text import TextOptions

    colour = use_colour(color, None if output is not None else sys.stdout)
    sources = SourceLines(Path.cwd(), {stdin[1]: stdin[0]} if stdin else None)
    options = TextOptions(colour=colour, show_suppressed=show_suppressed, statistics=statistics, quiet=quiet,
                          sources=sources)
    return render(result, fmt, options)


def _emit(text: str, output: Path | None) -> None:
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:  # colour codes are there only when asked for (`report.style`): click must not strip them
        click.echo(text, nl=False, color=True)


def _require_paths(targets: Sequence[str]) -> None:
    """A path that is not there is an error, not an empty scan: a typo in a CI step must not go green.
    (`lexists`: a dangling symlink is there; the scan reports it.)"""
    for target in targets:
        if not os.path.lexists(target):
            _fail(f"{target}: no such file or directory")


def _read_stdin() -> str:
    """Standard input as text; bytes that are not UTF-8 become replacement characters, as in files."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # already text (an embedding program or a test replaced sys.stdin)
        return sys.stdin.read()
    return stream.read().decode("utf-8-sig", errors="replace")


def _say_error(message: str) -> None:
    """One line on standard error. Messages quote paths, keys and values from the scanned tree: escaped."""
    click.echo(f"vlint: {printable(message)}", err=True)


def _fail(message: str) -> NoReturn:
    _say_error(message)
    raise SystemExit(EXIT_ERROR)


def _verify_exit_code(result: Any, static_code: int) -> int:
    """With --verify, a confirmed (or degenerate) finding fails; the static verdict stands for the rest."""
    verdicts = [f.verify.get("verdict") for f in result.findings if f.verify]
    if any(v in ("confirmed", "degenerate") for v in verdicts):
        return EXIT_FINDINGS
    return static_code


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True,
              help="Output format (sarif needs --project).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to FILE.")
@click.option("--project", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Link the served aliases to this project's requests and report their findings.")
@click.option("--online", is_flag=True, help="Ask the Hugging Face Hub about served models (cached).")
@click.option("--chat-probe/--no-chat-probe", default=True, show_default=True,
              help="Send a few chat requests to base and unknown models, with a completions control.")
@click.option("--samples", type=click.IntRange(1, 16), default=2, show_default=True, help="Samples per prompt.")
@click.option("--api-key-env", metavar="NAME", help="Variable holding the API key (default: OPENAI_API_KEY if set).")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Trust this CA bundle instead of the system's (a private CA).")
@click.option("--timeout", type=click.FloatRange(0, 600, min_open=True), default=30.0, show_default=True,
              help="Seconds per request.")
@click.option("--max-requests", type=click.IntRange(1, 5000), default=200, show_default=True,
              help="At most this many requests per endpoint.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def probe(urls: tuple[str, ...], fmt: str, output: Path | None, project: Path | None, online: bool,
          chat_probe: bool, samples: int, api_key_env: str | None, ca_bundle: Path | None, timeout: float,
          max_requests: int, quiet: bool) -> None:
    """Ask running OpenAI-compatible servers (vLLM) what they serve; probe base models' chat for echo."""
    from vlint.probe.command import run_command

    raise SystemExit(run_command(
        urls, fmt=fmt, output=output, project=project, online=online, chat_probe=chat_probe, samples=samples,
        api_key_env=api_key_env, ca_bundle=ca_bundle, timeout=timeout, max_requests=max_requests, quiet=quiet))


@cli.command()
@click.argument("models", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--online", is_flag=True, help="Ask the Hugging Face Hub (cached).")
def model(models: tuple[str, ...], fmt: str, online: bool) -> None:
    """Classify model ids: base, instruct, reasoning, other or unknown, with evidence."""
    from vlint.classify import classify

    results = [classify(m, online=online, base_dir=Path.cwd()) for m in models]
    if fmt == "json":
        payload = [{"model": r.model, "kind": r.kind, "confidence": r.confidence, "evidence": list(r.evidence),
                    "normalized": r.normalized, "instead": r.sibling} for r in results]
        click.echo(safe_json(json.dumps(payload, indent=2)))
    else:  # evidence can quote a local model folder's files: scanned text
        for r in results:
            instead = f"; use instead: {printable(r.sibling)}" if r.sibling else ""
            click.echo(f"{printable(r.model)}: {r.kind} (confidence {r.confidence}){instead}")
            for item in r.evidence:
                click.echo(f"    - {printable(item)}")
    raise SystemExit(EXIT_OK)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List the rules."""
    from vlint.checks.registry import RULES

    if fmt == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary,
                                "enabled_by_default": r.enabled} for r in RULES], indent=2))
    else:
        for r in RULES:
            flag = "" if r.enabled else " (off by default)"
            click.echo(f"{r.code}  {r.name:<28} {r.severity:<8} {r.summary}{flag}")
    raise SystemExit(EXIT_OK)


@cli.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Print a rule's document (what it does, why, examples, fix)."""
    from vlint.checks.registry import RULES_BY_CODE, resolve_rule_ref
    from vlint.ruledocs import load_doc

    code = resolve_rule_ref(rule)
    if code is None or code not in RULES_BY_CODE:
        raise click.UsageError(f"unknown rule {rule!r}; `vlint rules` lists them")
    click.echo(load_doc(code).text)
    raise SystemExit(EXIT_OK)


@cli.command("config")
@click.argument("path", required=False, default=".")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path))
def show_config(path: str, config_file: Path | None) -> None:
    """Print the effective configuration as TOML, each value's origin in a comment."""
    from vlint.config import load_config, to_toml

    click.echo(to_toml(load_config(Path(path), config_file)), nl=False)
    raise SystemExit(EXIT_OK)


@cli.group()
def cache() -> None:
    """Manage vlint's caches (per-file facts, Hub answers)."""


@cache.command("clear")
def cache_clear() -> None:
    """Delete the per-file cache of this project, the Hub answer cache and the parsed rules data."""
    from vlint.cache import clear_all
    from vlint.config import load_config
    from vlint.project import find_project_root

    removed = clear_all(find_project_root(Path.cwd()) or load_config(Path.cwd()).root or Path.cwd())
    click.echo(f"Removed {removed} cache entr{'y' if removed == 1 else 'ies'}.")
    raise SystemExit(EXIT_OK)


@contextmanager
def _tolerant_streams() -> Iterator[None]:
    """A terminal or pipe that is not UTF-8 (`PYTHONIOENCODING=ascii`, a C locale) gets `\\u` escapes for
    what it cannot encode, instead of a crash on the first non-ASCII model name. Restored afterwards."""
    changed = []
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
            if encoding not in ("utf8", "utf8sig"):
                stream.reconfigure(errors="backslashreplace")
                changed.append(stream)
    try:
        yield
    finally:
        for stream in changed:
            stream.reconfigure(errors="strict")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code instead of exiting (for tests and hooks)."""
    from vlint.config import ConfigError

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        with _tolerant_streams():
            cli.main(args=args, prog_name="vlint", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_ERROR
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_ERROR
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except ConfigError as exc:
        _say_error(f"configuration error: {exc}")
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - internal errors exit 2 with a one-line cause
        name = type(exc).__name__
        if name == "VerifyUnavailable":
            _say_error(str(exc))
            return EXIT_ERROR
        if debug:
            traceback.print_exc()
        else:
            _say_error(f"internal error: {name}: {exc} (run with --debug for the traceback)")
        return EXIT_ERROR
    return EXIT_OK


def run() -> None:
    """The `vlint` program (console script, `python -m vlint`, `python -m vlint.cli`): vlint's own process,
    which, unlike `main` called by a host, may act on the whole process (`_own_process_start`)."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    _leave(main())


def _leave(code: int) -> NoReturn:
    """End the program without tearing the interpreter down: the exit handlers run and the streams are
    flushed, then the process ends. Freeing every module and object one by one costs a short run ~30 ms
    (a third of what a cached one-file run costs) and achieves nothing a process exit does not. With a
    thread still running (none in a scan), Python's own shutdown waits for it."""
    import atexit
    import threading

    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`vlint scan | head`): nothing more can be said there
            pass
    os._exit(code)


_OWN_PROCESS = False  # set by `run`: this process is the `vlint` program, not a host calling `main`


def _own_process_start(paths: Sequence[str], stdin_filename: str | None) -> None:
    """What only the `vlint` program does, before its heavy imports:
    - start an extraction worker when the named files will probably need one (`vlint/extract/early.py`):
      it imports the extractors while this process imports the rules and reads the project;
    - import the scan's modules with the garbage collector off and freeze them out of its later scans: a
      short run otherwise pays a full collection over every module object it imported (measured: 7-15% of
      a one-file or warm scan)."""
    import gc

    from vlint.extract import early

    early.start_for(paths, stdin_filename)
    gc.disable()
    try:
        import vlint.api  # noqa: F401
        import vlint.checks.run  # noqa: F401
        import vlint.classify  # noqa: F401
        import vlint.link  # noqa: F401
        import vlint.report.frame  # noqa: F401
        import vlint.report.text  # noqa: F401
    finally:
        gc.freeze()
        gc.enable()


if __name__ == "__main__":  # pragma: no cover
    run()
