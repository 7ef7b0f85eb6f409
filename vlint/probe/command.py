"""The body of `vlint probe` (its options are declared in vlint/cli.py): run, print, return the exit code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from vlint.probe.client import ClientSettings
from vlint.probe.report import error_lines, render
from vlint.probe.run import EXIT_ERROR, ProbeOptions, ProbeUsageError, probe_endpoints
from vlint.report.escape import printable


def run_command(
    urls: Sequence[str],
    *,
    fmt: str,
    output: Path | None,
    project: Path | None,
    online: bool,
    chat_probe: bool,
    samples: int,
    api_key_env: str | None,
    ca_bundle: Path | None,
    timeout: float,
    max_requests: int,
    quiet: bool,
) -> int:
    if fmt == "sarif" and project is None:
        raise click.UsageError("--format sarif needs --project: SARIF results point at the project's files")
    options = ProbeOptions(
        samples=samples,
        chat_probe=chat_probe,
        online=online,
        project=project,
        api_key_env=api_key_env,
        http=ClientSettings(timeout_s=timeout, max_requests=max_requests, ca_bundle=ca_bundle),
        progress=None if quiet else (lambda message: click.echo(printable(message), err=True)),
    )
    try:
        run = probe_endpoints(urls, options)
    except ProbeUsageError as exc:
        click.echo(f"vlint: {printable(str(exc))}", err=True)
        return EXIT_ERROR
    for line in error_lines(run):  # one line per endpoint that failed, whatever the format
        click.echo(line, err=True)
    text = render(run, fmt)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    return run.exit_code
