#!/usr/bin/env bash
# Run `vlint --verify` on a GPU runner: replay every base-model finding through vLLM and write
# SARIF, JSON and an HTML page with the evidence. See docs/verify.md.
#
#   scripts/verify-on-gpu.sh [PATH] [more vlint options]
#
# Environment:
#   HF_HOME              Hugging Face cache that already holds the models (default ~/.cache/huggingface)
#   VLINT_INSTALL        what to pip install (default: this checkout with its verify extra, "<repo>[verify]";
#                        set to "" to use what is installed)
#   VLINT_ALLOW_DOWNLOAD 1 to let vLLM download models missing from the cache (default: offline)
#   VLINT_OUT            output folder (default vlint-verify/)
#   VLINT_FORMAT         json (default) or sarif, for code scanning; the HTML page is written either way
#   VLINT_ENGINE_ARGS    extra engine arguments, e.g. "tensor_parallel_size=2 gpu_memory_utilization=0.85"
set -euo pipefail

target="${1:-.}"
[ "$#" -gt 0 ] && shift

export HF_HOME="${HF_HOME:-$HOME/.cache/huggingface}"
out="${VLINT_OUT:-vlint-verify}"
mkdir -p "$out"

install="${VLINT_INSTALL-$(cd "$(dirname "$0")/.." && pwd)[verify]}"
if [ -n "$install" ]; then
  python -m pip install --quiet "$install"
fi

extra=()
if [ "${VLINT_ALLOW_DOWNLOAD:-0}" = "1" ]; then
  extra+=(--allow-download)
else
  export HF_HUB_OFFLINE=1   # fail closed: only models already in $HF_HOME are replayed
fi
for arg in ${VLINT_ENGINE_ARGS:-}; do
  extra+=(--engine-arg "$arg")
done

format="${VLINT_FORMAT:-json}"
status=0
# One run: each model is loaded once. Exit 1 = a finding was confirmed (or is a static error), 2 = cannot verify.
vlint --verify "$target" --format "$format" --output "$out/vlint.$format" \
  --verify-report "$out/verify.html" "${extra[@]}" "$@" || status=$?
echo "vlint --verify: exit $status; results in $out/vlint.$format, evidence in $out/verify.html"
exit "$status"
