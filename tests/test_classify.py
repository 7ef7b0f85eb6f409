"""Offline classification: the naming traps of each family, quantised mirrors, aliases and odd input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from vlint import classify as classify_module
from vlint import knowledge
from vlint.classify import Classification, ModelOverride, classify, classify_name, parse_reference
from vlint.classify import data as classify_data

CHAT = {"instruct", "reasoning"}

# (reference, expected kind). "chat" accepts instruct or reasoning: hybrid thinking models may be either.
TABLE: list[tuple[str, str]] = [
    # Qwen v1 / 1.5 / 2 / 2.5: no suffix = base
    ("Qwen/Qwen-7B", "base"),
    ("Qwen/Qwen-7B-Chat", "instruct"),
    ("Qwen/Qwen-7B-Chat-Int4", "instruct"),
    ("Qwen/Qwen1.5-7B", "base"),
    ("Qwen/Qwen1.5-MoE-A2.7B", "base"),
    ("Qwen/Qwen1.5-14B-Chat-AWQ", "instruct"),
    ("Qwen/Qwen1.5-7B-Chat-GPTQ-Int4", "instruct"),
    ("Qwen/Qwen2-7B", "base"),
    ("Qwen/Qwen2-57B-A14B", "base"),
    ("Qwen/Qwen2-7B-Instruct", "instruct"),
    ("Qwen/Qwen2.5-14B", "base"),
    ("Qwen/Qwen2.5-0.5B", "base"),
    ("Qwen/Qwen2.5-14B-Instruct", "instruct"),
    ("Qwen/Qwen2.5-14B-Instruct-1M", "instruct"),
    ("Qwen/Qwen2.5-14B-Instruct-AWQ", "instruct"),
    ("Qwen/Qwen2.5-14B-Instruct-GPTQ-Int4", "instruct"),
    ("Qwen/Qwen2.5-7B-Instruct-GGUF", "instruct"),
    ("Qwen/Qwen2.5-Coder-7B", "base"),
    ("Qwen/Qwen2.5-Coder-32B-Instruct", "instruct"),
    ("Qwen/Qwen2.5-Math-7B", "base"),
    ("Qwen/Qwen2.5-Math-7B-Instruct", "instruct"),
    ("Qwen/Qwen2.5-Math-PRM-7B", "other"),
    ("Qwen/Qwen2.5-Math-RM-72B", "other"),
    ("Qwen/Qwen2.5-VL-7B-Instruct", "instruct"),
    ("Qwen/Qwen2-VL-7B", "base"),
    ("Qwen/Qwen2.5-Omni-7B", "instruct"),
    # Qwen3 / 3.5 / 3.6: no suffix = post-trained, -Base = pretrained
    ("Qwen/Qwen3-8B", "chat"),
    ("Qwen/Qwen3-8B-Base", "base"),
    ("Qwen/Qwen3-30B-A3B", "chat"),
    ("Qwen/Qwen3-30B-A3B-Base", "base"),
    ("Qwen/Qwen3-8B-FP8", "chat"),
    ("Qwen/Qwen3-4B-Instruct-2507", "instruct"),
    ("Qwen/Qwen3-4B-Thinking-2507", "reasoning"),
    ("Qwen/Qwen3-Coder-30B-A3B-Instruct", "instruct"),
    ("Qwen/Qwen3-Next-80B-A3B-Instruct", "instruct"),
    ("Qwen/Qwen3-Next-80B-A3B-Thinking", "reasoning"),
    ("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", "instruct"),
    ("Qwen/Qwen3.5-9B", "chat"),
    ("Qwen/Qwen3.5-9B-Base", "base"),
    ("Qwen/Qwen3.5-27B", "chat"),
    ("Qwen/Qwen3.6-35B-A3B", "chat"),
    ("Qwen/Qwen3-Embedding-8B", "other"),
    ("Qwen/Qwen3Guard-Gen-8B", "other"),
    ("Qwen/QwQ-32B", "reasoning"),
    ("Qwen/QwQ-32B-Preview", "reasoning"),
    ("Qwen/QVQ-72B-Preview", "reasoning"),
    # Llama
    ("meta-llama/Llama-2-7b-hf", "base"),
    ("meta-llama/Llama-2-7b", "base"),
    ("meta-llama/Llama-2-13b-chat-hf", "instruct"),
    ("meta-llama/Llama-2-7b-chat", "instruct"),
    ("meta-llama/Meta-Llama-3-8B", "base"),
    ("meta-llama/Meta-Llama-3-70B-Instruct", "instruct"),
    ("meta-llama/Llama-3.1-8B", "base"),
    ("meta-llama/Meta-Llama-3.1-8B", "base"),
    ("meta-llama/Meta-Llama-3.1-70B-Instruct", "instruct"),
    ("meta-llama/Llama-3.1-405B-Instruct-FP8", "instruct"),
    ("meta-llama/Llama-3.2-1B", "base"),
    ("meta-llama/Llama-3.2-3B-Instruct", "instruct"),
    ("meta-llama/Llama-3.2-11B-Vision", "base"),
    ("meta-llama/Llama-3.2-11B-Vision-Instruct", "instruct"),
    ("meta-llama/Llama-3.3-70B-Instruct", "instruct"),
    ("llama-3.3-70b", "instruct"),
    ("meta-llama/Llama-4-Scout-17B-16E", "base"),
    ("meta-llama/Llama-4-Scout-17B-16E-Instruct", "instruct"),
    ("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "instruct"),
    ("meta-llama/Llama-Guard-3-8B", "other"),
    ("meta-llama/Llama-Guard-4-12B", "other"),
    ("codellama/CodeLlama-7b-hf", "base"),
    ("codellama/CodeLlama-7b-Python-hf", "base"),
    ("codellama/CodeLlama-34b-Instruct-hf", "instruct"),
    ("meta-llama/CodeLlama-13b-Instruct-hf", "instruct"),
    ("huggyllama/llama-7b", "base"),
    ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "instruct"),
    ("TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T", "base"),
    ("TinyLlama/TinyLlama_v1.1", "base"),
    # Mistral
    ("mistralai/Mistral-7B-v0.1", "base"),
    ("mistralai/Mistral-7B-v0.3", "base"),
    ("mistral-community/Mistral-7B-v0.2", "base"),
    ("mistralai/Mistral-7B-Instruct-v0.1", "instruct"),
    ("mistralai/Mistral-7B-Instruct-v0.3", "instruct"),
    ("mistralai/Mixtral-8x7B-v0.1", "base"),
    ("mistralai/Mixtral-8x22B-Instruct-v0.1", "instruct"),
    ("mistralai/Mistral-Nemo-Base-2407", "base"),
    ("mistralai/Mistral-Nemo-Instruct-2407", "instruct"),
    ("mistralai/Mistral-Small-24B-Base-2501", "base"),
    ("mistralai/Mistral-Small-24B-Instruct-2501", "instruct"),
    ("mistralai/Mistral-Small-3.1-24B-Base-2503", "base"),
    ("mistralai/Mistral-Small-3.2-24B-Instruct-2506", "instruct"),
    ("mistralai/Mistral-Large-Instruct-2411", "instruct"),
    ("mistralai/Ministral-8B-Instruct-2410", "instruct"),
    ("mistralai/Ministral-3-14B-Reasoning-2512", "reasoning"),
    ("mistralai/Devstral-Small-2505", "instruct"),
    ("mistralai/Magistral-Small-2506", "reasoning"),
    ("mistralai/Pixtral-12B-2409", "instruct"),
    ("mistralai/Codestral-22B-v0.1", "instruct"),
    ("mistral-large-latest", "instruct"),
    # Gemma
    ("google/gemma-2b", "base"),
    ("google/gemma-7b", "base"),
    ("google/gemma-7b-it", "instruct"),
    ("google/gemma-1.1-7b-it", "instruct"),
    ("google/gemma-2-9b", "base"),
    ("google/gemma-2-27b", "base"),
    ("google/gemma-2-9b-it", "instruct"),
    ("google/gemma-3-12b-pt", "base"),
    ("google/gemma-3-12b-it", "instruct"),
    ("google/gemma-3-270m", "base"),
    ("google/gemma-3-270m-it", "instruct"),
    ("google/gemma-3n-E4B-it", "instruct"),
    ("google/gemma-3-27b-it-qat-q4_0-gguf", "instruct"),
    ("google/gemma-4-31B", "base"),
    ("google/gemma-4-31B-it", "instruct"),
    ("google/gemma-4-26B-A4B-it", "instruct"),
    ("google/gemma-4-E4B-it-assistant", "other"),
    ("google/codegemma-7b", "base"),
    ("google/codegemma-7b-it", "instruct"),
    ("google/recurrentgemma-2b-it", "instruct"),
    ("google/paligemma-3b-pt-224", "base"),
    ("google/shieldgemma-9b", "other"),
    ("google/medgemma-4b-it", "instruct"),
    # Phi
    ("microsoft/phi-1", "base"),
    ("microsoft/phi-1_5", "base"),
    ("microsoft/phi-2", "base"),
    ("microsoft/Phi-3-mini-4k-instruct", "instruct"),
    ("microsoft/Phi-3.5-MoE-instruct", "instruct"),
    ("microsoft/Phi-3-medium-128k-instruct", "instruct"),
    ("microsoft/phi-4", "instruct"),
    ("microsoft/Phi-4-mini-instruct", "instruct"),
    ("microsoft/Phi-4-reasoning-plus", "reasoning"),
    ("microsoft/Phi-4-mini-reasoning", "reasoning"),
    # DeepSeek
    ("deepseek-ai/deepseek-llm-7b-base", "base"),
    ("deepseek-ai/deepseek-llm-67b-chat", "instruct"),
    ("deepseek-ai/deepseek-coder-6.7b-base", "base"),
    ("deepseek-ai/deepseek-coder-6.7b-instruct", "instruct"),
    ("deepseek-ai/deepseek-moe-16b-base", "base"),
    ("deepseek-ai/deepseek-math-7b-rl", "instruct"),
    ("deepseek-ai/DeepSeek-V2", "base"),
    ("deepseek-ai/DeepSeek-V2-Lite", "base"),
    ("deepseek-ai/DeepSeek-V2-Lite-Chat", "instruct"),
    ("deepseek-ai/DeepSeek-Coder-V2-Lite-Base", "base"),
    ("deepseek-ai/DeepSeek-Coder-V2-Instruct", "instruct"),
    ("deepseek-ai/DeepSeek-V2.5", "instruct"),
    ("deepseek-ai/DeepSeek-V3", "chat"),
    ("deepseek-ai/DeepSeek-V3-Base", "base"),
    ("deepseek-ai/DeepSeek-V3-0324", "chat"),
    ("deepseek-ai/DeepSeek-V3.1", "chat"),
    ("deepseek-ai/DeepSeek-V3.1-Base", "base"),
    ("deepseek-ai/DeepSeek-V3.2-Exp", "chat"),
    ("deepseek-ai/DeepSeek-R1", "reasoning"),
    ("deepseek-ai/DeepSeek-R1-Zero", "reasoning"),
    ("deepseek-ai/DeepSeek-R1-0528", "reasoning"),
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "reasoning"),
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "reasoning"),
    ("unsloth/DeepSeek-R1-Distill-Qwen-32B-GGUF", "reasoning"),
    # Yi, InternLM, Baichuan, GLM
    ("01-ai/Yi-6B", "base"),
    ("01-ai/Yi-34B-200K", "base"),
    ("01-ai/Yi-1.5-9B", "base"),
    ("01-ai/Yi-34B-Chat", "instruct"),
    ("01-ai/Yi-1.5-34B-Chat-16K", "instruct"),
    ("01-ai/Yi-Coder-9B-Chat", "instruct"),
    ("internlm/internlm2-7b", "base"),
    ("internlm/internlm2-base-7b", "base"),
    ("internlm/internlm2_5-7b", "base"),
    ("internlm/internlm2_5-7b-chat", "instruct"),
    ("internlm/internlm2-chat-7b-sft", "instruct"),
    ("internlm/internlm3-8b-instruct", "instruct"),
    ("baichuan-inc/Baichuan2-7B-Base", "base"),
    ("baichuan-inc/Baichuan2-13B-Chat", "instruct"),
    ("baichuan-inc/Baichuan2-7B-Chat-4bits", "instruct"),
    ("baichuan-inc/Baichuan-7B", "base"),
    ("THUDM/chatglm3-6b-base", "base"),
    ("THUDM/chatglm3-6b", "instruct"),
    ("THUDM/chatglm2-6b", "instruct"),
    ("THUDM/glm-4-9b", "base"),
    ("THUDM/glm-4-9b-chat", "instruct"),
    ("zai-org/glm-4-9b-chat-hf", "instruct"),
    ("THUDM/GLM-4-9B-0414", "instruct"),
    ("THUDM/GLM-Z1-9B-0414", "reasoning"),
    ("zai-org/GLM-4.5", "chat"),
    ("zai-org/GLM-4.5-Air", "chat"),
    ("zai-org/GLM-4.5-Base", "base"),
    ("zai-org/GLM-4.6", "chat"),
    ("THUDM/GLM-4-32B-Base-0414", "base"),
    # Falcon, OLMo, Granite, SmolLM, StarCoder
    ("tiiuae/falcon-7b", "base"),
    ("tiiuae/falcon-40b-instruct", "instruct"),
    ("tiiuae/falcon-180B", "base"),
    ("tiiuae/falcon-180B-chat", "instruct"),
    ("tiiuae/Falcon3-7B-Base", "base"),
    ("tiiuae/Falcon3-10B-Instruct", "instruct"),
    ("tiiuae/Falcon-H1-1.5B-Base", "base"),
    ("tiiuae/Falcon-H1-34B-Instruct", "instruct"),
    ("tiiuae/falcon-mamba-7b", "base"),
    ("allenai/OLMo-7B", "base"),
    ("allenai/OLMo-7B-0724-hf", "base"),
    ("allenai/OLMo-2-1124-7B", "base"),
    ("allenai/OLMo-2-1124-13B-DPO", "instruct"),
    ("allenai/OLMo-2-1124-7B-SFT", "instruct"),
    ("allenai/OLMo-2-0325-32B-Instruct", "instruct"),
    ("allenai/OLMoE-1B-7B-0924", "base"),
    ("allenai/OLMoE-1B-7B-0924-Instruct", "instruct"),
    ("allenai/Olmo-3-7B-Think", "reasoning"),
    ("allenai/Olmo-3-1025-7B", "base"),
    ("allenai/Llama-3.1-Tulu-3-8B-DPO", "instruct"),
    ("allenai/Llama-3.1-Tulu-3-70B", "instruct"),
    ("ibm-granite/granite-3.0-8b-base", "base"),
    ("ibm-granite/granite-3.1-8b-instruct", "instruct"),
    ("ibm-granite/granite-3.3-8b-base", "base"),
    ("ibm-granite/granite-3b-code-base-2k", "base"),
    ("ibm-granite/granite-34b-code-instruct-8k", "instruct"),
    ("ibm-granite/granite-4.0-h-small", "instruct"),
    ("ibm-granite/granite-4.0-h-small-base", "base"),
    ("ibm-granite/granite-4.0-micro", "instruct"),
    ("ibm-granite/granite-4.0-h-1b", "instruct"),
    ("ibm-granite/granite-guardian-3.2-5b", "other"),
    ("HuggingFaceTB/SmolLM-135M", "base"),
    ("HuggingFaceTB/SmolLM2-1.7B", "base"),
    ("HuggingFaceTB/SmolLM2-1.7B-Instruct", "instruct"),
    ("HuggingFaceTB/SmolLM3-3B", "chat"),
    ("HuggingFaceTB/SmolLM3-3B-Base", "base"),
    ("bigcode/starcoder", "base"),
    ("bigcode/starcoderbase-1b", "base"),
    ("bigcode/starcoder2-15b", "base"),
    ("bigcode/starcoder2-15b-instruct-v0.1", "instruct"),
    ("HuggingFaceH4/starchat-beta", "instruct"),
    ("bigcode/octocoder", "instruct"),
    # Classic base LMs and their tuned siblings
    ("gpt2", "base"),
    ("openai-community/gpt2", "base"),
    ("gpt2-xl", "base"),
    ("distilgpt2", "base"),
    ("facebook/opt-1.3b", "base"),
    ("facebook/opt-125m", "base"),
    ("facebook/opt-iml-max-1.3b", "instruct"),
    ("EleutherAI/pythia-1.4b", "base"),
    ("EleutherAI/pythia-1.4b-deduped", "base"),
    ("EleutherAI/gpt-j-6b", "base"),
    ("EleutherAI/gpt-neox-20b", "base"),
    ("EleutherAI/gpt-neo-1.3B", "base"),
    ("bigscience/bloom", "base"),
    ("bigscience/bloom-560m", "base"),
    ("bigscience/bloomz-7b1-mt", "instruct"),
    ("bigscience/mt0-large", "instruct"),
    ("google/flan-t5-xl", "instruct"),
    ("mosaicml/mpt-7b", "base"),
    ("mosaicml/mpt-7b-instruct", "instruct"),
    ("mosaicml/mpt-30b-chat", "instruct"),
    ("databricks/dolly-v2-12b", "instruct"),
    ("togethercomputer/RedPajama-INCITE-Chat-3B-v1", "instruct"),
    ("togethercomputer/RedPajama-INCITE-Base-3B-v1", "base"),
    ("togethercomputer/GPT-NeoXT-Chat-Base-20B", "instruct"),
    ("stabilityai/stablelm-2-1_6b", "base"),
    ("stabilityai/stablelm-zephyr-3b", "instruct"),
    # Community chat fine-tunes
    ("lmsys/vicuna-7b-v1.5", "instruct"),
    ("lmsys/vicuna-13b-v1.3", "instruct"),
    ("HuggingFaceH4/zephyr-7b-beta", "instruct"),
    ("openchat/openchat-3.5-0106", "instruct"),
    ("teknium/OpenHermes-2.5-Mistral-7B", "instruct"),
    ("NousResearch/Nous-Hermes-2-Mixtral-8x7B-DPO", "instruct"),
    ("NousResearch/Hermes-3-Llama-3.1-8B", "instruct"),
    ("Intel/neural-chat-7b-v3-3", "instruct"),
    ("cognitivecomputations/dolphin-2.9-llama3-8b", "instruct"),
    ("WizardLMTeam/WizardLM-13B-V1.2", "instruct"),
    ("Open-Orca/Mistral-7B-OpenOrca", "instruct"),
    ("NousResearch/Llama-2-7b-hf", "base"),
    ("NousResearch/Meta-Llama-3-8B", "base"),
    ("Nexusflow/Starling-LM-7B-beta", "instruct"),
    ("upstage/SOLAR-10.7B-Instruct-v1.0", "instruct"),
    ("upstage/SOLAR-10.7B-v1.0", "base"),
    # Kimi, MiniMax, gpt-oss, and other recent families
    ("moonshotai/Kimi-K2-Base", "base"),
    ("moonshotai/Kimi-K2-Instruct", "instruct"),
    ("moonshotai/Kimi-K2-Instruct-0905", "instruct"),
    ("moonshotai/Kimi-K2-Thinking", "reasoning"),
    ("moonshotai/Moonlight-16B-A3B", "base"),
    ("moonshotai/Moonlight-16B-A3B-Instruct", "instruct"),
    ("MiniMaxAI/MiniMax-Text-01", "instruct"),
    ("MiniMaxAI/MiniMax-M1-80k", "reasoning"),
    ("MiniMaxAI/MiniMax-M2", "reasoning"),
    ("openai/gpt-oss-20b", "reasoning"),
    ("openai/gpt-oss-120b", "reasoning"),
    ("ggml-org/gpt-oss-20b-GGUF", "reasoning"),
    ("LGAI-EXAONE/EXAONE-3.5-7.8B-Instruct", "instruct"),
    ("LGAI-EXAONE/EXAONE-Deep-32B", "reasoning"),
    ("LGAI-EXAONE/EXAONE-4.0-32B", "chat"),
    ("CohereLabs/aya-expanse-8b", "instruct"),
    ("CohereForAI/c4ai-command-r-plus", "instruct"),
    ("CohereLabs/c4ai-command-r7b-12-2024", "instruct"),
    ("ai21labs/AI21-Jamba-1.5-Mini", "instruct"),
    ("ai21labs/Jamba-v0.1", "base"),
    ("nvidia/Llama-3.1-Nemotron-70B-Instruct-HF", "instruct"),
    ("nvidia/Llama-3.1-Nemotron-Nano-8B-v1", "chat"),
    ("nvidia/Nemotron-4-340B-Base", "base"),
    ("nvidia/NVIDIA-Nemotron-Nano-12B-v2-Base", "base"),
    ("nvidia/Llama-3.1-8B-Instruct-FP8", "instruct"),
    ("tencent/Hunyuan-7B-Pretrain", "base"),
    ("tencent/Hunyuan-A13B-Instruct", "instruct"),
    ("baidu/ERNIE-4.5-21B-A3B-PT", "instruct"),
    ("baidu/ERNIE-4.5-21B-A3B-Base-PT", "base"),
    ("baidu/ERNIE-4.5-0.3B-Base-Paddle", "base"),
    ("ByteDance-Seed/Seed-OSS-36B-Base", "base"),
    ("ByteDance-Seed/Seed-OSS-36B-Instruct", "instruct"),
    ("arcee-ai/AFM-4.5B", "instruct"),
    ("arcee-ai/AFM-4.5B-Base", "base"),
    ("Skywork/Skywork-Reward-Llama-3.1-8B-v0.2", "other"),
    ("nvidia/OpenReasoning-Nemotron-7B", "reasoning"),
    ("CohereLabs/command-a-reasoning-08-2025", "reasoning"),
    ("Qwen/Qwen-VL", "base"),
    ("Qwen/Qwen-VL-Chat", "instruct"),
    ("unsloth/mistral-7b-bnb-4bit", "base"),
    ("unsloth/llama-3-8b-bnb-4bit", "base"),
    ("mradermacher/Llama-3.1-8B-Instruct-abliterated-GGUF", "instruct"),
    ("meta-llama/CodeLlama-70b-hf", "base"),
    ("BAAI/bge-large-en-v1.5", "other"),
    ("XiaomiMiMo/MiMo-7B-RL", "chat"),
    ("XiaomiMiMo/MiMo-7B-Base", "base"),
    ("rednote-hilab/dots.llm1.inst", "instruct"),
    ("rednote-hilab/dots.llm1.base", "base"),
    ("ServiceNow-AI/Apriel-Nemotron-15b-Thinker", "reasoning"),
    ("nvidia/AceReason-Nemotron-7B", "reasoning"),
    ("xai-org/grok-1", "base"),
    ("Qwen/CodeQwen1.5-7B", "base"),
    ("Qwen/CodeQwen1.5-7B-Chat", "instruct"),
    ("apple/OpenELM-3B", "base"),
    ("apple/OpenELM-3B-Instruct", "instruct"),
    ("Zyphra/Zamba2-7B", "base"),
    ("swiss-ai/Apertus-8B-2509", "base"),
    ("swiss-ai/Apertus-8B-Instruct-2509", "instruct"),
    ("NousResearch/Yarn-Mistral-7b-128k", "base"),
    ("NousResearch/DeepHermes-3-Llama-3-8B-Preview", "chat"),
    ("Salesforce/codegen-350M-mono", "base"),
    ("Salesforce/xgen-7b-8k-inst", "instruct"),
    ("01-ai/Yi-VL-6B", "instruct"),
    ("tiiuae/Falcon3-7B-Instruct-1.58bit", "instruct"),
    ("acme/Sabia-7B-Instruct-pt", "instruct"),
    ("acme/Sabia-7B-pt", "base"),
    ("Sao10K/L3-8B-Stheno-v3.2", "unknown"),
    ("mlx-community/Mistral-7B-v0.1-hf-4bit-mlx", "base"),
    ("groq/llama3-70b-8192", "instruct"),
    ("gpt-35-turbo", "instruct"),
    ("curie", "base"),
    ("text-davinci-002", "instruct"),
    ("nvidia/Llama-3.1-Nemotron-70B-Reward", "other"),
    ("TheBloke/CodeLlama-7B-Python-GGUF", "base"),
    ("mradermacher/Meta-Llama-3.1-8B-i1-GGUF", "base"),
    ("mlx-community/gemma-3-12b-pt-4bit", "base"),
    ("deepinfra/meta-llama/Meta-Llama-3-8B", "base"),
    ("together_ai/Qwen/Qwen2.5-72B-Instruct-Turbo", "instruct"),
    # OpenAI API aliases
    ("davinci-002", "base"),
    ("babbage-002", "base"),
    ("gpt-3.5-turbo-instruct", "instruct"),
    ("gpt-3.5-turbo", "instruct"),
    ("gpt-4", "instruct"),
    ("gpt-4o-mini-2024-07-18", "instruct"),
    ("gpt-4.1-nano", "instruct"),
    ("o3-mini", "reasoning"),
    ("claude-3-5-sonnet-20241022", "instruct"),
    # Quantised mirrors
    ("TheBloke/Llama-2-7B-GPTQ", "base"),
    ("TheBloke/Llama-2-7B-Chat-GPTQ", "instruct"),
    ("TheBloke/Llama-2-13B-chat-AWQ", "instruct"),
    ("TheBloke/Mistral-7B-Instruct-v0.2-GGUF", "instruct"),
    ("TheBloke/Mistral-7B-v0.1-AWQ", "base"),
    ("TheBloke/Yi-6B-GGUF", "base"),
    ("unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit", "instruct"),
    ("unsloth/Meta-Llama-3.1-8B-bnb-4bit", "base"),
    ("unsloth/Qwen2.5-7B-Instruct-unsloth-bnb-4bit", "instruct"),
    ("unsloth/Qwen2.5-7B-unsloth-bnb-4bit", "base"),
    ("unsloth/Qwen3-8B-GGUF", "chat"),
    ("unsloth/Qwen3-8B-Base-unsloth-bnb-4bit", "base"),
    ("unsloth/gemma-3-27b-it-GGUF", "instruct"),
    ("unsloth/gemma-2-9b-bnb-4bit", "base"),
    ("unsloth/Llama-3.2-1B", "base"),
    ("unsloth/SmolLM3-3B-bnb-4bit", "chat"),
    ("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "instruct"),
    ("bartowski/ibm-granite_granite-4.0-h-small-GGUF", "instruct"),
    ("bartowski/internlm2_5-7b-chat-GGUF", "instruct"),
    ("mradermacher/OLMo-2-1124-7B-DPO-GGUF", "instruct"),
    ("mradermacher/OLMo-2-1124-7B-i1-GGUF", "base"),
    ("RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic", "instruct"),
    ("RedHatAI/Meta-Llama-3.1-8B-FP8", "base"),
    ("neuralmagic/Meta-Llama-3.1-8B-Instruct-quantized.w4a16", "instruct"),
    ("RedHatAI/Qwen2.5-7B-quantized.w8a8", "base"),
    ("mlx-community/Qwen2.5-7B-Instruct-4bit", "instruct"),
    ("mlx-community/Qwen2.5-7B-8bit", "base"),
    ("mlx-community/Llama-3.2-3B-Instruct-mlx-4bit", "instruct"),
    ("lmstudio-community/Qwen2.5-14B-Instruct-GGUF", "instruct"),
    ("hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4", "instruct"),
    ("QuantFactory/Meta-Llama-3-8B-GGUF", "base"),
    ("MaziyarPanahi/Mistral-7B-Instruct-v0.3-GGUF", "instruct"),
    ("turboderp/Llama-3.1-8B-Instruct-exl2", "instruct"),
    ("LoneStriker/Mixtral-8x7B-v0.1-4.0bpw-h6-exl2", "base"),
    ("nvidia/Llama-3.3-70B-Instruct-NVFP4", "instruct"),
    ("Intel/Qwen2.5-7B-Instruct-int4-inc", "instruct"),
    ("OpenVINO/Qwen2.5-7B-Instruct-int4-ov", "instruct"),
    ("TheBloke/Llama-2-7B-GPTQ-4bit-32g-actorder_True", "base"),
    # Ollama tags
    ("llama3.1:8b", "instruct"),
    ("llama3.1:8b-text-q4_0", "base"),
    ("llama3:text", "base"),
    ("qwen2.5:14b", "instruct"),
    ("qwen2.5:14b-base", "base"),
    ("gemma2:9b", "instruct"),
    ("gemma2:9b-text-q8_0", "base"),
    ("mistral:7b", "instruct"),
    ("mistral:7b-text", "base"),
    ("ibm/granite4:1b-base", "base"),
    ("ibm/granite4:1b", "instruct"),
    ("deepseek-r1:7b", "reasoning"),
    ("qwq", "reasoning"),
    ("gpt-oss:20b", "reasoning"),
    ("llama-guard3:8b", "other"),
    ("codellama:7b-code", "base"),
    ("codellama:7b-instruct", "instruct"),
    ("starcoder2:3b", "base"),
    ("ollama/llama3.1", "instruct"),
    ("ollama_chat/qwen2.5:7b-text", "base"),
    ("mistral", "instruct"),
    ("llama3.2", "instruct"),
    ("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "instruct"),
    ("hf.co/QuantFactory/Meta-Llama-3-8B-GGUF:Q8_0", "base"),
    ("bartowski/Qwen2.5-14B-GGUF:Q4_K_M", "base"),
    ("unsloth/Qwen3-8B-GGUF:UD-Q4_K_XL", "chat"),
    ("Qwen/Qwen2.5-14B:Q4_K_M", "base"),
    # Provider prefixes and hosted ids
    ("hosted_vllm/Qwen/Qwen2.5-14B", "base"),
    ("openai/Qwen/Qwen2.5-14B", "base"),
    ("vllm/meta-llama/Llama-3.1-8B", "base"),
    ("together_ai/meta-llama/Llama-3-70b-chat-hf", "instruct"),
    ("together_ai/mistralai/Mixtral-8x7B-v0.1", "base"),
    ("accounts/fireworks/models/llama-v3p1-8b-instruct", "instruct"),
    ("fireworks_ai/accounts/fireworks/models/qwen2p5-72b-instruct", "instruct"),
    ("groq/llama-3.1-8b-instant", "instruct"),
    ("openrouter/deepseek/deepseek-r1", "reasoning"),
    ("bedrock/meta.llama3-1-8b-instruct-v1:0", "instruct"),
    ("huggingface/Qwen/Qwen2.5-7B", "base"),
    ("hf.co/Qwen/Qwen2.5-14B", "base"),
    ("https://huggingface.co/Qwen/Qwen2.5-14B", "base"),
    ("https://huggingface.co/google/gemma-2-9b-it/tree/main", "instruct"),
    ("Qwen/Qwen2.5-14B@main", "base"),
    ("Qwen/Qwen2.5-14B-Instruct@a1b2c3d", "instruct"),
    # Case-insensitivity
    ("qwen/qwen2.5-14b", "base"),
    ("QWEN/QWEN3-8B-BASE", "base"),
    ("META-LLAMA/LLAMA-3.1-8B-INSTRUCT", "instruct"),
    # HF cache paths and local paths
    (
        "/root/.cache/huggingface/hub/models--Qwen--Qwen2.5-7B/snapshots/0123456789abcdef0123456789abcdef01234567",
        "base",
    ),
    ("/home/u/.cache/huggingface/hub/models--meta-llama--Llama-3.1-8B-Instruct", "instruct"),
    ("/models/Qwen/Qwen2.5-14B", "base"),
    ("/mnt/models/qwen2.5-14b-instruct", "instruct"),
    ("./weights/gemma-2-9b", "base"),
    ("/data/gguf/qwen2.5-7b-instruct-q4_k_m.gguf", "instruct"),
    ("/data/gguf/Meta-Llama-3.1-8B-Q4_K_M.gguf", "base"),
    ("/data/Qwen2.5-7B-Instruct-GGUF/ggml-model-q4_0.gguf", "instruct"),
    ("s3://bucket/models/Llama-3.1-8B", "base"),
    ("C:\\models\\Mistral-7B-Instruct-v0.3", "instruct"),
    ("/root/.ollama/models/manifests/registry.ollama.ai/library/llama3.1/8b-text-q4_0", "base"),
    ("registry.ollama.ai/library/llama3.1:8b-text", "base"),
    ("ollama.com/library/qwen2.5:7b", "instruct"),
    # Garbage and non-ids
    ("", "unknown"),
    ("   ", "unknown"),
    ("http://localhost:8000/v1", "unknown"),
    ("??garbage!!", "unknown"),
    ("my-model", "unknown"),
    ("qwen-prod", "unknown"),
    ("a" * 1000, "unknown"),
    ("./outputs/checkpoint-1500", "unknown"),
    ("/srv/train/run7/merged", "unknown"),
    ("someorg/KindheartedAphrodite", "unknown"),
    ("${MODEL_NAME}", "unknown"),
    ("{{ .Values.model }}", "unknown"),
    ("null", "unknown"),
]


def _kind_ok(expected: str, got: str) -> bool:
    return got in CHAT if expected == "chat" else got == expected


@pytest.mark.parametrize(("model", "expected"), TABLE)
def test_classification_table(model: str, expected: str) -> None:
    result = classify(model)
    assert _kind_ok(expected, result.kind), (model, result.kind, result.evidence)
    assert result.model == model
    assert result.evidence, "every answer carries evidence"
    assert result.confidence in ("low", "medium", "high")


def test_table_is_large_and_unique() -> None:
    ids = [m for m, _ in TABLE]
    assert len(ids) >= 150
    assert len(set(ids)) == len(ids)


def test_chat_capable_property() -> None:
    assert classify("Qwen/Qwen2.5-14B-Instruct").chat_capable
    assert classify("deepseek-ai/DeepSeek-R1").chat_capable
    assert not classify("Qwen/Qwen2.5-14B").chat_capable
    assert not classify("meta-llama/Llama-Guard-3-8B").chat_capable
    assert not classify("nonsense-thing").chat_capable


def test_odd_inputs_never_raise() -> None:
    for odd in [
        "",
        "\x00\x01",
        "::::",
        "@@@",
        "/",
        "//",
        "hf.co/",
        "ollama/",
        "models--",
        "a/b/c/d/e/f",
        "x" * 5000,
        "gguf",
        "-GGUF",
        ":latest",
        "@main",
        "../..",
        "~",
        "C:\\",
        "🦙",
        None,
        42,
    ]:
        result = classify(odd)  # type: ignore[arg-type]
        assert isinstance(result, Classification)
        assert result.kind in ("base", "instruct", "reasoning", "other", "unknown")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_is_classified_without_raising(text: str) -> None:
    result = classify(text)
    assert result.kind in ("base", "instruct", "reasoning", "other", "unknown")
    assert result.confidence in ("low", "medium", "high")
    assert result.sibling is None or result.kind == "base"


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(
        r"\A(hf\.co/|ollama/|hosted_vllm/|/models/|\./)?([A-Za-z0-9_.-]{1,12}/)?"
        r"[A-Za-z0-9_.-]{1,30}(:[a-z0-9_.-]{1,10}|@[a-z0-9]{1,8})?\Z"
    )
)
@pytest.mark.slow
def test_id_shaped_text_is_classified_without_raising(text: str) -> None:
    result = classify(text)
    assert result.kind in ("base", "instruct", "reasoning", "other", "unknown")
    if result.kind == "base" and result.sibling:
        assert classify(result.sibling).chat_capable


# ------------------------------------------------------------------ confidence


def test_curated_ids_are_high_confidence() -> None:
    for model in ["Qwen/Qwen2.5-14B", "Qwen/Qwen3-8B", "google/gemma-2-9b-it", "THUDM/chatglm3-6b-base"]:
        assert classify(model).confidence == "high", model


def test_name_rules_are_at_most_medium() -> None:
    # Not curated: a family rule decides.
    for model in [
        "Qwen/Qwen2.5-Coder-14B-Instruct",
        "google/gemma-2-2b-jpn-it",
        "Qwen/Qwen3.5-122B-A10B",
        "mistralai/Mistral-Small-3.2-24B-Base-2506",
    ]:
        result = classify(model)
        assert result.confidence == "medium", (model, result)
        assert any("family rule" in e for e in result.evidence)


def test_generic_tokens_are_low_confidence() -> None:
    result = classify("acme/SuperModel-13B-sft")
    assert (result.kind, result.confidence) == ("instruct", "low")
    result = classify("acme/SuperModel-13B-base")
    assert (result.kind, result.confidence) == ("base", "low")


def test_confidence_ordering_curated_family_generic() -> None:
    order = {"low": 0, "medium": 1, "high": 2}
    curated = classify("Qwen/Qwen2.5-14B")
    family = classify("Qwen/Qwen2-Math-1.5B")  # not curated
    generic = classify("acme/foo-7b-base")
    assert curated.kind == family.kind == generic.kind == "base"
    assert order[curated.confidence] > order[family.confidence] > order[generic.confidence]


def test_local_paths_lower_confidence_but_hf_cache_paths_do_not() -> None:
    assert classify("/models/Qwen2.5-14B").confidence == "medium"
    assert classify("/srv/hf/hub/models--Qwen--Qwen2.5-14B/snapshots/" + "a" * 40).confidence == "high"


def test_third_party_upload_with_curated_name_is_medium() -> None:
    result = classify("randomuser/Qwen2.5-14B")
    assert (result.kind, result.confidence) == ("base", "medium")


def test_unknown_is_low_confidence() -> None:
    result = classify("acme/prod-model")
    assert (result.kind, result.confidence) == ("unknown", "low")


# ------------------------------------------------------------------ normalisation and evidence


@pytest.mark.parametrize(
    ("model", "normalized"),
    [
        ("hosted_vllm/Qwen/Qwen2.5-14B", "Qwen/Qwen2.5-14B"),
        ("Qwen/Qwen2.5-14B-Instruct-GPTQ-Int4", "Qwen/Qwen2.5-14B-Instruct"),
        ("unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit", "meta-llama/Llama-3.1-8B-Instruct"),
        ("THUDM/GLM-4.5", "zai-org/GLM-4.5"),
        ("gpt2", "openai-community/gpt2"),
        ("/x/hub/models--Qwen--Qwen2.5-7B/snapshots/" + "b" * 40, "Qwen/Qwen2.5-7B"),
        ("bartowski/ibm-granite_granite-4.0-h-small-GGUF", "ibm-granite/granite-4.0-h-small"),
        ("llama3.1:8b-text-q4_0", "llama3.1:8b-text-q4_0"),
        ("acme/Zephyr-Pro-7B-AWQ", "acme/Zephyr-Pro-7B"),
    ],
)
def test_normalized(model: str, normalized: str) -> None:
    assert classify(model).normalized == normalized


def test_evidence_names_the_source_and_the_normalisation() -> None:
    result = classify("hosted_vllm/Qwen/Qwen2.5-14B-GPTQ-Int4")
    text = " | ".join(result.evidence)
    assert "hosted_vllm/" in text
    assert "GPTQ-Int4" in text
    assert "curated knowledge: Qwen/Qwen2.5-14B is a base" in text
    assert "rules/models.yaml" in text


def test_parse_reference_peels_the_whole_chain() -> None:
    ref = parse_reference("unsloth/Qwen2.5-7B-Instruct-unsloth-bnb-4bit")
    assert ref.name == "Qwen2.5-7B-Instruct"
    assert ref.peeled == ("4bit", "bnb", "unsloth")
    assert parse_reference("TheBloke/X-13B-i1-GGUF").name == "X-13B"
    assert parse_reference("RedHatAI/X-8B-Instruct-FP8-dynamic").name == "X-8B-Instruct"
    assert parse_reference("google/gemma-3-27b-it-qat-q4_0-gguf").name == "gemma-3-27b-it"


def test_bartowski_prefix_is_kept_when_not_an_org() -> None:
    assert parse_reference("bartowski/internlm2_5-7b-chat-GGUF").name == "internlm2_5-7b-chat"


def test_classify_name_is_memoised() -> None:
    assert classify_name("Qwen/Qwen2.5-14B") is classify_name("Qwen/Qwen2.5-14B")


# ------------------------------------------------------------------ siblings


@pytest.mark.parametrize(
    ("model", "sibling"),
    [
        ("Qwen/Qwen2.5-14B", "Qwen/Qwen2.5-14B-Instruct"),
        ("hosted_vllm/Qwen/Qwen2.5-14B", "Qwen/Qwen2.5-14B-Instruct"),
        ("qwen/qwen2.5-14b", "Qwen/Qwen2.5-14B-Instruct"),
        ("Qwen/Qwen2.5-Coder-14B", "Qwen/Qwen2.5-Coder-14B-Instruct"),
        ("Qwen/Qwen1.5-7B", "Qwen/Qwen1.5-7B-Chat"),
        ("Qwen/Qwen3-8B-Base", "Qwen/Qwen3-8B"),
        ("unsloth/Qwen3-8B-Base-unsloth-bnb-4bit", "Qwen/Qwen3-8B"),
        ("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct"),
        ("meta-llama/Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B-Instruct"),
        ("meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-7b-chat-hf"),
        ("google/gemma-2-9b", "google/gemma-2-9b-it"),
        ("google/gemma-3-12b-pt", "google/gemma-3-12b-it"),
        ("google/gemma-4-31B", "google/gemma-4-31B-it"),
        ("mistralai/Mistral-7B-v0.1", "mistralai/Mistral-7B-Instruct-v0.1"),
        ("mistralai/Mixtral-8x7B-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1"),
        ("mistralai/Mistral-Nemo-Base-2407", "mistralai/Mistral-Nemo-Instruct-2407"),
        ("mistralai/Mistral-Small-24B-Base-2501", "mistralai/Mistral-Small-24B-Instruct-2501"),
        ("deepseek-ai/deepseek-llm-7b-base", "deepseek-ai/deepseek-llm-7b-chat"),
        ("deepseek-ai/deepseek-coder-6.7b-base", "deepseek-ai/deepseek-coder-6.7b-instruct"),
        ("deepseek-ai/DeepSeek-V2", "deepseek-ai/DeepSeek-V2-Chat"),
        ("deepseek-ai/DeepSeek-V3-Base", "deepseek-ai/DeepSeek-V3"),
        ("ibm-granite/granite-3.1-8b-base", "ibm-granite/granite-3.1-8b-instruct"),
        ("ibm-granite/granite-4.0-h-small-base", "ibm-granite/granite-4.0-h-small"),
        ("HuggingFaceTB/SmolLM3-3B-Base", "HuggingFaceTB/SmolLM3-3B"),
        ("HuggingFaceTB/SmolLM2-1.7B", "HuggingFaceTB/SmolLM2-1.7B-Instruct"),
        ("01-ai/Yi-34B", "01-ai/Yi-34B-Chat"),
        ("THUDM/chatglm3-6b-base", "THUDM/chatglm3-6b"),
        ("tiiuae/falcon-7b", "tiiuae/falcon-7b-instruct"),
        ("tiiuae/Falcon3-7B-Base", "tiiuae/Falcon3-7B-Instruct"),
        ("moonshotai/Kimi-K2-Base", "moonshotai/Kimi-K2-Instruct"),
        ("allenai/OLMo-2-1124-7B", "allenai/OLMo-2-1124-7B-Instruct"),
        ("davinci-002", "gpt-3.5-turbo-instruct"),
        ("llama3.1:8b-text-q4_0", "llama3.1:8b-instruct-q4_0"),
        ("llama3:text", "llama3"),
        ("ibm/granite4:1b-base", "ibm/granite4:1b"),
        ("codellama:7b-code", "codellama:7b-instruct"),
        ("unsloth/llama-3-8b-bnb-4bit", "meta-llama/Meta-Llama-3-8B-Instruct"),
        ("ibm-granite/granite-20b-code-base-8k", "ibm-granite/granite-20b-code-instruct-8k"),
        ("allenai/OLMo-7B-0724-hf", "allenai/OLMo-7B-0724-Instruct-hf"),
    ],
)
def test_sibling(model: str, sibling: str) -> None:
    result = classify(model)
    assert result.kind == "base"
    assert result.sibling == sibling


def test_no_sibling_when_unknown_or_not_base() -> None:
    assert classify("gpt2").sibling is None
    assert classify("EleutherAI/pythia-1.4b").sibling is None
    assert classify("Qwen/Qwen2.5-14B-Instruct").sibling is None
    assert classify("acme/prod-model").sibling is None


def test_every_sibling_is_itself_chat_capable() -> None:
    for model, _ in TABLE:
        result = classify(model)
        if result.sibling:
            assert classify(result.sibling).chat_capable, (model, result.sibling)


# ------------------------------------------------------------------ overrides


def test_exact_override_wins_over_curated_knowledge() -> None:
    ov = ModelOverride("Qwen/Qwen2.5-14B", "instruct", "pyproject.toml [tool.vlint] models.instruct")
    result = classify("Qwen/Qwen2.5-14B", overrides=[ov])
    assert (result.kind, result.confidence) == ("instruct", "high")
    assert result.evidence == (
        "override: 'Qwen/Qwen2.5-14B' declares this model instruct "
        "(pyproject.toml [tool.vlint] models.instruct)",
    )


def test_glob_override_case_insensitive_on_given_and_normalized() -> None:
    ov = ModelOverride("acme/*-base", "base", ".vlint.toml models.base")
    result = classify("hosted_vllm/ACME/Ranker-Base", overrides=[ov])
    assert result.kind == "base"
    assert "acme/*-base" in result.evidence[0] and ".vlint.toml" in result.evidence[0]
    unmatched = classify("acme/ranker-instruct", overrides=[ov])
    assert not any("override" in e for e in unmatched.evidence)


def test_override_can_declare_a_private_alias() -> None:
    ov = ModelOverride("qwen-prod", "base", "config")
    assert classify("qwen-prod", overrides=[ov]).kind == "base"
    assert classify("qwen-prod").kind == "unknown"


def test_first_matching_override_wins() -> None:
    overrides = [ModelOverride("acme/*", "instruct", "a"), ModelOverride("acme/x", "base", "b")]
    assert classify("acme/x", overrides=overrides).kind == "instruct"


def test_override_does_not_leak_into_the_memoised_answer() -> None:
    classify("google/gemma-2-9b", overrides=[ModelOverride("google/*", "instruct", "x")])
    assert classify("google/gemma-2-9b").kind == "base"


# ------------------------------------------------------------------ data-driven families


def test_new_family_is_a_data_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = knowledge.rules_dir()
    rules = tmp_path / "rules"
    shutil.copytree(real, rules)
    data = yaml.safe_load((rules / "models.yaml").read_text(encoding="utf-8"))
    assert classify("zorblabs/Zorb-2-13B").kind == "unknown"
    data["families"].insert(
        1,
        {
            "name": "zorb",
            "match": "^zorb-",
            "org": "zorblabs",
            "rules": [
                {"match": "-assistant$", "kind": "instruct", "why": "Zorb tuned models say -Assistant"},
                {"match": r"^zorb-\d+-\d+b$", "kind": "base", "why": "bare Zorb is pretrained"},
            ],
            "siblings": [{"match": "^(.*)$", "replace": r"\1-Assistant"}],
        },
    )
    data["mirror_orgs"].append("zorbquant")
    (rules / "models.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.setattr(knowledge, "rules_dir", lambda: rules)
    classify_module.clear_caches()
    try:
        result = classify("zorbquant/Zorb-2-13B-GGUF")
        assert (result.kind, result.confidence) == ("base", "medium")
        assert "family rule 'zorb'" in " ".join(result.evidence)
        assert result.sibling == "zorblabs/Zorb-2-13B-Assistant"
        assert classify("zorblabs/Zorb-2-13B-Assistant").kind == "instruct"
    finally:
        monkeypatch.undo()
        classify_module.clear_caches()
    assert classify("zorblabs/Zorb-2-13B").kind == "unknown"


def test_bad_data_is_reported_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(knowledge.rules_dir(), rules)
    data = yaml.safe_load((rules / "models.yaml").read_text(encoding="utf-8"))
    data["families"][0]["rules"][0]["kind"] = "chatty"
    (rules / "models.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(knowledge, "rules_dir", lambda: rules)
    classify_module.clear_caches()
    try:
        with pytest.raises(ValueError, match="chatty"):
            classify("Qwen/Qwen2.5-14B")
    finally:
        monkeypatch.undo()
        classify_module.clear_caches()


def _lazy_patterns(value: object) -> list[object]:
    """Every data pattern reachable from the compiled knowledge."""
    import dataclasses

    if isinstance(value, classify_data._Lazy):
        return [value]
    if dataclasses.is_dataclass(value):
        return [p for f in dataclasses.fields(value) for p in _lazy_patterns(getattr(value, f.name))]
    if isinstance(value, (tuple, list)):
        return [p for item in value for p in _lazy_patterns(item)]
    return []


def test_every_pattern_of_the_data_compiles() -> None:
    """Patterns compile when first used; this compiles all of them, so a bad one fails here, not in a run."""
    patterns = _lazy_patterns(classify_data.load_knowledge())
    assert len(patterns) > 200
    for pattern in patterns:
        assert pattern.compiled().pattern == pattern.source  # type: ignore[attr-defined]


def test_bad_regular_expression_names_where_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(knowledge.rules_dir(), rules)
    data = yaml.safe_load((rules / "models.yaml").read_text(encoding="utf-8"))
    qwen3 = next(f for f in data["families"] if f["name"] == "qwen3")
    qwen3["rules"][0]["match"] = "(unclosed"
    (rules / "models.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(knowledge, "rules_dir", lambda: rules)
    classify_module.clear_caches()
    try:
        with pytest.raises(ValueError, match=r"bad regular expression in family '.*'.*\(unclosed"):
            classify("someone/Qwen3-77B-Experimental")  # not curated: the family's rules decide
    finally:
        monkeypatch.undo()
        classify_module.clear_caches()


def test_every_curated_id_classifies_as_curated() -> None:
    data = knowledge.load_data("models.yaml")
    for kind, ids in data["curated"].items():
        for model_id in ids:
            result = classify(model_id)
            assert (result.kind, result.confidence) == (kind, "high"), (model_id, result)


def test_family_rules_agree_with_curated_ids() -> None:
    """Family rules are the generalisation of the curated table: they must not contradict it."""
    from vlint.classify.data import load_knowledge
    from vlint.classify.names import _by_family

    kb = load_knowledge()
    data = knowledge.load_data("models.yaml")
    for kind, ids in data["curated"].items():
        for model_id in ids:
            name = parse_reference(model_id).name
            verdict = _by_family(kb, name)
            if verdict is not None:
                assert verdict.kind == kind, (model_id, verdict.kind, verdict.reason)


def test_a_bare_tinyllama_folder_is_unknown_not_base():
    """A bare local folder such as `/data/models/tinyllama`: its identity lives elsewhere; guessing base would be a finding."""
    from vlint.classify import classify as _classify

    assert _classify("/data/models/tinyllama").kind == "unknown"
