#!/bin/bash
# Base model served for completion-style generation only; nothing here chats with it.
vllm serve Qwen/Qwen2.5-7B --port 8001 --max-model-len 4096
