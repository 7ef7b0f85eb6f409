import argparse
import json

from vllm import LLM, SamplingParams


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="meta-llama/Llama-3.1-8B")
    p.add_argument("--data", default="data/questions.jsonl")
    p.add_argument("--tp", type=int, default=1)
    return p.parse_args()


def main():
    args = parse_args()
    llm = LLM(model=args.model, tensor_parallel_size=args.tp, max_model_len=4096)
    greedy = SamplingParams(temperature=0, max_tokens=256)
    creative = SamplingParams(temperature=0.9, top_p=0.95, max_tokens=256)
    rows = [json.loads(line) for line in open(args.data)]
    conversations = [[{"role": "user", "content": r["question"]}] for r in rows]
    chat_outputs = llm.chat(conversations, greedy)  # expect: VL001 VL002
    prompts = [f"Question: {r['question']}\nAnswer:" for r in rows]
    completions = llm.generate(prompts, creative)
    return chat_outputs, completions


if __name__ == "__main__":
    main()
