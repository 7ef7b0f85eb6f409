#!/usr/bin/env bash
set -euo pipefail
HOST=${HOST:-localhost}
# curl http://$HOST:8000/v1/completions -d '{"model": "gemma", "prompt": "Hi"}'
curl -s "http://${HOST}:8000/v1/chat/completions" -H "Content-Type: application/json" -d '{"model": "gemma", "messages": [{"role": "user", "content": "Say hello"}], "temperature": 0.2}' | jq .  # expect: VL001 VL002
