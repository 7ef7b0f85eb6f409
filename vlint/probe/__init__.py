"""`vlint probe URL`: ask a running OpenAI-compatible server what it serves, and show the echo.

`GET /v1/models` names each served alias and (on vLLM) the `root` it was loaded from; vlint classifies
them, and for base or unknown models sends a few chat requests with `--verify`'s prompts, metrics and
verdicts, against a completions control. With a project, the endpoint's aliases are linked to the
project's requests, whose findings get the probe's verdict. This is the only part of vlint that sends
requests, and only to the URLs it is given; `vlint scan` never does.

    from vlint.probe import ProbeOptions, probe_endpoints, render
    run = probe_endpoints(["http://127.0.0.1:8000/v1"], ProbeOptions())
    print(render(run, "text"), run.exit_code)
"""

from __future__ import annotations

from vlint.probe.client import ClientSettings
from vlint.probe.report import FORMATS, render
from vlint.probe.run import ProbeOptions, ProbeRun, ProbeUsageError, probe_endpoints

__all__ = [
    "FORMATS",
    "ClientSettings",
    "ProbeOptions",
    "ProbeRun",
    "ProbeUsageError",
    "probe_endpoints",
    "render",
]
