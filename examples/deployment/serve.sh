#!/usr/bin/env bash
# Local development launch: the same base model, with a low server-side temperature.
set -euo pipefail
MODEL="${MODEL:-meta-llama/Llama-3.1-8B}"
CUDA_VISIBLE_DEVICES=0 nohup vllm serve "$MODEL" \
  --port 8001 \
  --override-generation-config '{"temperature": 0.1}' > vllm.log 2>&1 &
