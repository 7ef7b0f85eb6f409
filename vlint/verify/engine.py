"""The part of `--verify` that talks to vLLM, in a child process of its own, one per model.

Why a child process: a model's memory (GPU or CPU) is only reliably returned when its process ends,
so each model gets a fresh interpreter; and the static scan must never import vllm, so vllm is
imported only here, inside `child_main`, which runs as `python .../vlint/verify/engine.py`.
The file is run by path and imports nothing outside the standard library at module level, so the
interpreter that has vllm (`.venv-vllm`, or a GPU runner's environment) needs no vlint install.

Protocol: the parent writes one JSON job to the child's stdin and reads one JSON result from its
stdout. vLLM logs to stdout too, so the child moves its own stdout aside before importing anything
and writes the result to the saved descriptor; everything else goes to stderr, where lines starting
with `PROGRESS_PREFIX` are progress for the user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

PROGRESS_PREFIX = "vlint-verify: "

CPU_DEFAULT_ENGINE_ARGS: dict[str, Any] = {"enforce_eager": True, "max_model_len": 256, "dtype": "float32"}
"""Engine defaults on machines without an accelerator: no graph capture, small context, fp32."""

KV_SIZE_ARGS = ("kv_cache_memory_bytes", "gpu_memory_utilization")
"""If none of these is given on CPU, the child sets VLLM_CPU_KVCACHE_SPACE=1 (GiB): vLLM's default
share of NUMA node 0 fails on small machines (it asks for more memory than a 2-core CI box has)."""


# ---------------------------------------------------------------- the job and its result (parent side)


@dataclass(frozen=True)
class ReplayRequest:
    """One request shape to replay `samples` times. `key` ties results back to findings."""

    key: str
    api: str  # "chat" or "completion"
    temperature: float
    samples: int
    max_tokens: int
    messages: tuple[tuple[str, str], ...] | None = None
    prompt: str | None = None
    chat_template: str | None = None  # template text, not a path


@dataclass(frozen=True)
class EngineJob:
    model: str  # a local directory, or a Hub id when downloads are allowed
    requests: tuple[ReplayRequest, ...]
    seed: int = 0
    engine_args: Mapping[str, Any] = field(default_factory=dict)
    trust_remote_code: bool = False
    allow_download: bool = False

    def to_json(self) -> str:
        data = asdict(self)
        data["engine_args"] = dict(self.engine_args)
        return json.dumps(data)


@dataclass(frozen=True)
class GeneratedText:
    text: str
    finish_reason: str | None = None


@dataclass(frozen=True)
class RequestResult:
    outputs: tuple[GeneratedText, ...] = ()
    rendered_prompt: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class EngineResult:
    """What one engine run produced. `error` set means the model could not be run at all."""

    results: Mapping[str, RequestResult] = field(default_factory=dict)
    error: str | None = None
    error_kind: str | None = None  # "oom", "gated", "not-found", "no-device", "crash", "error"
    device: str | None = None
    engine_args: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EngineResult:
        results = {
            key: RequestResult(
                outputs=tuple(GeneratedText(o["text"], o.get("finish_reason")) for o in r.get("outputs", [])),
                rendered_prompt=r.get("rendered_prompt"),
                error=r.get("error"),
            )
            for key, r in data.get("results", {}).items()
        }
        return cls(
            results=results,
            error=data.get("error"),
            error_kind=data.get("error_kind"),
            device=data.get("device"),
            engine_args=data.get("engine_args", {}),
            timings=data.get("timings", {}),
        )


class Engine(Protocol):
    """Runs one job (one model). The real one is `SubprocessEngine`; tests pass a fake."""

    def run(self, job: EngineJob, progress: Callable[[str], None] | None = None) -> EngineResult: ...


def classify_error(text: str) -> str:
    """Why a model could not run, from the exception and the tail of vLLM's log."""
    lowered = text.lower()
    if "out of memory" in lowered or "outofmemoryerror" in lowered or "insufficient memory" in lowered:
        return "oom"
    if "gated" in lowered or "401" in lowered or "access to model" in lowered:
        return "gated"
    if any(
        s in lowered
        for s in (
            "localentrynotfound",
            "repositorynotfound",
            "does not appear to have",
            "no such file or directory",
            "is not a local folder",
            "outgoing traffic has been disabled",
            "cannot find the requested files",
        )
    ):
        return "not-found"
    if "failed to infer device type" in lowered or "no platform detected" in lowered:
        return "no-device"
    return "error"


@dataclass
class SubprocessEngine:
    """Runs each job in `python engine.py` under the interpreter that has vllm."""

    python: str
    env: Mapping[str, str] = field(default_factory=dict)
    shutdown_grace_s: float = 60.0

    def run(self, job: EngineJob, progress: Callable[[str], None] | None = None) -> EngineResult:
        env = {**os.environ, **self.env}
        if not job.allow_download:
            env["HF_HUB_OFFLINE"] = "1"
            env["TRANSFORMERS_OFFLINE"] = "1"
        started = time.monotonic()
        proc = subprocess.Popen(
            [self.python, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        tail: deque[str] = deque(maxlen=60)
        reader = threading.Thread(target=_pump_stderr, args=(proc, tail, progress), daemon=True)
        reader.start()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(job.to_json().encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        raw = proc.stdout.read()
        try:
            proc.wait(timeout=self.shutdown_grace_s)
        except subprocess.TimeoutExpired:
            # The result is in; a child stuck in vLLM's shutdown must not hold memory or the scan.
            os.killpg(proc.pid, 9)
            proc.wait()
        reader.join(timeout=5)
        log_tail = "\n".join(tail)
        try:
            data = json.loads(raw.decode() or "null")
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            reason = f"the vLLM process exited with status {proc.returncode} without a result"
            last = _last_error_line(log_tail)
            return EngineResult(
                error=f"{reason}: {last}" if last else reason,
                error_kind=classify_error(log_tail) if log_tail else "crash",
            )
        result = EngineResult.from_json(data)
        if result.error and result.error_kind == "error":
            result = EngineResult(
                **{**_fields(result), "error_kind": classify_error(result.error + "\n" + log_tail)}
            )
        timings = {**result.timings, "process_s": round(time.monotonic() - started, 2)}
        return EngineResult(**{**_fields(result), "timings": timings})


def _fields(result: EngineResult) -> dict[str, Any]:
    return {name: getattr(result, name) for name in result.__dataclass_fields__}


def _pump_stderr(
    proc: subprocess.Popen[bytes], tail: deque[str], progress: Callable[[str], None] | None
) -> None:
    assert proc.stderr is not None
    for raw in proc.stderr:
        line = raw.decode(errors="replace").rstrip()
        if line.startswith(PROGRESS_PREFIX):
            if progress is not None:
                progress(line[len(PROGRESS_PREFIX) :])
        elif line:
            tail.append(line)


def _last_error_line(log: str) -> str:
    for line in reversed(log.splitlines()):
        if "Error" in line or "error" in line:
            return line.strip()[-500:]
    return ""


# ---------------------------------------------------------------- the child (imports vllm)


def _say(message: str) -> None:
    print(PROGRESS_PREFIX + message, file=sys.stderr, flush=True)


def _engine_kwargs(job: dict[str, Any], on_cpu: bool) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(job.get("engine_args") or {})
    if on_cpu:
        for key, value in CPU_DEFAULT_ENGINE_ARGS.items():
            kwargs.setdefault(key, value)
    kwargs.setdefault("seed", job.get("seed", 0))
    kwargs["trust_remote_code"] = bool(job.get("trust_remote_code"))
    return kwargs


def _sampling(vllm: Any, request: dict[str, Any], seed: int) -> list[Any]:
    """One SamplingParams per sample, each with its own fixed seed.

    Why not n=samples: vLLM requires n == 1 for greedy sampling, and per-sample seeds make every
    sample reproducible on its own at any temperature.
    """
    return [
        vllm.SamplingParams(
            temperature=request["temperature"],
            max_tokens=request["max_tokens"],
            seed=seed + i,
            n=1,
        )
        for i in range(request["samples"])
    ]


def _replay(llm: Any, vllm: Any, request: dict[str, Any], seed: int) -> dict[str, Any]:
    params = _sampling(vllm, request, seed)
    if request["api"] == "chat":
        conversation = [{"role": role, "content": content} for role, content in request["messages"]]
        outputs = llm.chat(
            [conversation] * len(params),
            sampling_params=params,
            use_tqdm=False,
            chat_template=request.get("chat_template"),
        )
    else:
        outputs = llm.generate([request["prompt"]] * len(params), sampling_params=params, use_tqdm=False)
    return {
        "rendered_prompt": outputs[0].prompt if outputs else None,
        "outputs": [
            {"text": o.outputs[0].text, "finish_reason": o.outputs[0].finish_reason} for o in outputs
        ],
    }


def child_main() -> int:
    # Run by path, Python put this folder first on sys.path; its metrics.py etc. must not shadow anything.
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)
    result_fd = os.dup(1)
    os.dup2(2, 1)  # vLLM and its workers log to stdout; keep the result channel clean
    job = json.loads(sys.stdin.read())
    out: dict[str, Any] = {"results": {}, "timings": {}}
    try:
        _run_child(job, out)
    except BaseException as exc:  # report any failure as data; the parent decides what it means
        out["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        out["error_kind"] = classify_error(f"{type(exc).__name__}: {exc}")
    with os.fdopen(result_fd, "w") as channel:
        json.dump(out, channel)
    return 0


def _run_child(job: dict[str, Any], out: dict[str, Any]) -> None:
    engine_args = job.get("engine_args") or {}
    if not any(key in engine_args for key in KV_SIZE_ARGS):
        # Read only by vLLM's CPU platform, so harmless on a GPU; must be set before the engine starts.
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    started = time.monotonic()
    _say("importing vllm")
    import vllm
    from vllm.platforms import current_platform

    out["timings"]["import_s"] = round(time.monotonic() - started, 2)
    on_cpu = bool(current_platform.is_cpu())
    out["device"] = str(
        getattr(current_platform, "device_name", None) or current_platform.device_type or "unknown"
    )
    if current_platform.is_unspecified() if hasattr(current_platform, "is_unspecified") else False:
        out["error"] = "no GPU found, and this vLLM build cannot run on the CPU"
        out["error_kind"] = "no-device"
        return
    kwargs = _engine_kwargs(job, on_cpu)
    out["engine_args"] = kwargs
    _say(f"loading {job['model']} on {out['device']}")
    started = time.monotonic()
    llm = vllm.LLM(model=job["model"], **kwargs)
    out["timings"]["load_s"] = round(time.monotonic() - started, 2)
    started = time.monotonic()
    seed = int(job.get("seed", 0))
    requests = job["requests"]
    for i, request in enumerate(requests, start=1):
        _say(f"generating {request['samples']} samples for request {i}/{len(requests)}")
        try:
            out["results"][request["key"]] = _replay(llm, vllm, request, seed)
        except Exception as exc:  # one bad request (too long, no chat template) must not lose the rest
            out["results"][request["key"]] = {"outputs": [], "error": f"{type(exc).__name__}: {exc}"[:1000]}
    out["timings"]["generate_s"] = round(time.monotonic() - started, 2)
    del llm


if __name__ == "__main__":
    sys.exit(child_main())
