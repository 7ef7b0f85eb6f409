"""`--verify`: turn a static finding into evidence by replaying its request through vLLM.

Public API (the CLI is a thin layer over it):

    from vlint.verify import VerifyOptions, verify_findings, write_html_report, VerifyUnavailable
    from vlint.verify import check_available   # optional: fail fast before a long scan

Nothing here imports vllm: the engine runs in a child process (vlint/verify/engine.py), one per
model, under the interpreter that has vllm installed.
"""

from __future__ import annotations

from vlint.verify.replay import VerifyOptions, VerifyUnavailable, check_available, verify_findings
from vlint.verify.report_html import write_html_report

__all__ = ["VerifyOptions", "VerifyUnavailable", "check_available", "verify_findings", "write_html_report"]
