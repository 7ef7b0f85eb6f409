"""vLLM's engine APIs and the wrappers real code puts around them (issue 17, item 3): `LLMEngine` and
`AsyncLLMEngine` made from engine arguments, the V1 `AsyncLLM`, subclasses of `LLM`, Ray actors, functions
and classes that build an engine from their parameters, and chat formatted by hand with a tokenizer's chat
template. The fixtures follow the shapes of vLLM's own examples, RLHF rollout workers and math-eval
scripts; facts are asserted first, then findings through a scan."""

from __future__ import annotations

import textwrap

from tests.conftest import rule_lines, scan_dir
from vlint.extract.python import extract_python, prefilter


def facts(source: str):
    text = textwrap.dedent(source).lstrip("\n")
    assert prefilter.might_hold_facts(text)
    found = extract_python(text, "engine.py")
    assert not found.errors, found.errors
    return found.requests


def summary(source: str):
    return [(r.location.line, r.api, r.client, r.model.literal if r.model else None,
             r.temperature.literal if r.temperature else None) for r in facts(source)]


LLM_ENGINE_EXAMPLE = """
    from vllm import EngineArgs, LLMEngine, RequestOutput, SamplingParams


    def create_test_prompts() -> list[tuple[str, SamplingParams]]:
        return [("A robot may not injure a human being", SamplingParams(temperature=0.0, logprobs=1)),
                ("To be or not to be,", SamplingParams(temperature=0.8, top_k=5))]


    def process_requests(engine: LLMEngine, test_prompts: list[tuple[str, SamplingParams]]) -> None:
        request_id = 0
        while test_prompts or engine.has_unfinished_requests():
            if test_prompts:
                prompt, sampling_params = test_prompts.pop(0)
                engine.add_request(str(request_id), prompt, sampling_params)
                request_id += 1
            outputs: list[RequestOutput] = engine.step()


    def initialize_engine() -> LLMEngine:
        engine_args = EngineArgs(model="facebook/opt-125m", max_model_len=2048)
        return LLMEngine.from_engine_args(engine_args)


    def main() -> None:
        engine = initialize_engine()
        process_requests(engine, create_test_prompts())
        engine.add_request("greedy", "Hello, my name is", SamplingParams(temperature=0.0))


    if __name__ == "__main__":
        main()
"""


def test_llm_engine_from_engine_args_through_a_factory_function_and_a_parameter():
    """The engine is built in one function, returned, and handed to another as a parameter; the model is
    read where the `EngineArgs` are made. A sampling-params object unpacked from a tuple is unknown."""
    assert summary(LLM_ENGINE_EXAMPLE) == [
        (14, "offline-generate", "vllm.LLMEngine.add_request", "facebook/opt-125m", None),
        (27, "offline-generate", "vllm.LLMEngine.add_request", "facebook/opt-125m", 0.0),
    ]
    unknown = facts(LLM_ENGINE_EXAMPLE)[0].temperature
    assert unknown is not None and unknown.note == "sampling parameters not resolvable"


ASYNC_ENGINES = """
    import asyncio
    import uuid

    from vllm import SamplingParams
    from vllm.engine.arg_utils import AsyncEngineArgs
    from vllm.engine.async_llm_engine import AsyncLLMEngine
    from vllm.v1.engine.async_llm import AsyncLLM

    ENGINE_ARGS = AsyncEngineArgs(model="meta-llama/Llama-3.1-8B", enforce_eager=True)
    engine = AsyncLLMEngine.from_engine_args(ENGINE_ARGS)


    async def generate(prompt: str) -> str:
        params = SamplingParams(temperature=0.1, max_tokens=128)
        final = None
        async for output in engine.generate(prompt, params, str(uuid.uuid4())):
            final = output
        return final.outputs[0].text


    async def v1(prompt: str) -> None:
        args = AsyncEngineArgs(model="Qwen/Qwen2.5-7B")
        llm = AsyncLLM.from_vllm_config(args.create_engine_config())
        async for out in llm.generate(prompt=prompt, sampling_params=SamplingParams(temperature=0.0),
                                      request_id="r1"):
            print(out)
        v1_engine = AsyncLLM.from_engine_args(engine_args=AsyncEngineArgs("mistralai/Mistral-7B-v0.1"))
        async for out in v1_engine.generate(prompt, SamplingParams(), "r2"):
            print(out)
"""


def test_async_engines_from_engine_args_and_vllm_config():
    assert summary(ASYNC_ENGINES) == [
        (16, "offline-generate", "vllm.AsyncLLMEngine.generate", "meta-llama/Llama-3.1-8B", 0.1),
        (24, "offline-generate", "vllm.AsyncLLM.generate", "Qwen/Qwen2.5-7B", 0.0),
        (28, "offline-generate", "vllm.AsyncLLM.generate", "mistralai/Mistral-7B-v0.1", None),
    ]


RAY_ROLLOUT = """
    import ray
    from vllm import LLM, SamplingParams


    class ColocatedLLM(LLM):
        \"\"\"An engine that knows its placement-group bundle (RLHF rollouts).\"\"\"

        def __init__(self, *args, bundle_indices=None, **kwargs):
            self.bundle_indices = bundle_indices
            super().__init__(*args, **kwargs)


    @ray.remote(num_gpus=1)
    class RolloutWorker:
        def __init__(self, model_path: str, tensor_parallel_size: int = 1):
            self.llm = LLM(model=model_path, tensor_parallel_size=tensor_parallel_size)

        def rollout(self, prompts, sampling_params):
            return self.llm.generate(prompts, sampling_params)


    def colocated(prompts):
        engine = ColocatedLLM(model="Qwen/Qwen2.5-1.5B", bundle_indices=[0])
        return engine.generate(prompts, SamplingParams(temperature=1.0))


    def remote_engines(prompts):
        RemoteLLM = ray.remote(num_gpus=1)(LLM)
        engine = RemoteLLM.options(num_cpus=0).remote(model="Qwen/Qwen2.5-0.5B")
        return ray.get(engine.generate.remote(prompts, SamplingParams(temperature=0.2)))


    def run(prompts):
        workers = [RolloutWorker.options(num_gpus=1).remote("Qwen/Qwen2.5-7B") for _ in range(2)]
        greedy = SamplingParams(temperature=0.0, max_tokens=512)
        return ray.get([w.rollout.remote(prompts, greedy) for w in workers])
"""


def test_ray_actors_subclasses_and_constructor_arguments():
    """`RolloutWorker`'s model and its rollout's sampling parameters come from the calls that make the actor
    and call its method (`.options(...).remote(...)`, `.rollout.remote(...)`)."""
    assert summary(RAY_ROLLOUT) == [
        (19, "offline-generate", "vllm.LLM.generate", "Qwen/Qwen2.5-7B", 0.0),
        (24, "offline-generate", "vllm.LLM.generate", "Qwen/Qwen2.5-1.5B", 1.0),
        (30, "offline-generate", "vllm.LLM.generate", "Qwen/Qwen2.5-0.5B", 0.2),
    ]
    model = facts(RAY_ROLLOUT)[0].model
    assert model.note == "passed for `model_path` at line 34" and model.location.line == 34


def test_disagreeing_calls_leave_the_parameter_unknown():
    """Two callers pass two models: the wrapper's model is unknown, never one of them picked."""
    assert summary("""
        from vllm import LLM

        def run(model, prompts):
            return LLM(model=model).generate(prompts)

        run("Qwen/Qwen2.5-7B", ["a"])
        run("Qwen/Qwen2.5-7B-Instruct", ["b"])
    """) == [(4, "offline-generate", "vllm.LLM.generate", None, None)]


HAND_CHAT = """
    import json

    from transformers import AutoTokenizer
    from vllm import LLM, SamplingParams

    MODEL = "Qwen/Qwen2.5-7B"


    def build_prompts(tokenizer, questions):
        prompts = []
        for question in questions:
            messages = [{"role": "system", "content": "Reason step by step."},
                        {"role": "user", "content": question}]
            prompts.append(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
        return prompts


    def main():
        tokenizer = AutoTokenizer.from_pretrained(MODEL)
        llm = LLM(model=MODEL, max_model_len=4096)
        questions = [json.loads(line)["question"] for line in open("test.jsonl")]
        outputs = llm.generate(build_prompts(tokenizer, questions), SamplingParams(temperature=0.0))
        for output in outputs:
            print(output.outputs[0].text)
"""


def test_chat_template_then_generate_is_a_chat():
    (request,) = facts(HAND_CHAT)
    assert (request.api, request.client, request.model.literal) == \
        ("offline-chat", "vllm.LLM.generate with a chat-templated prompt", "Qwen/Qwen2.5-7B")
    made = request.templated_by
    assert (made.literal, made.location.line, made.location.column) == ("tokenizer.apply_chat_template", 14, 24)
    assert request.chat_template is None  # the model's own template: nothing chosen on purpose


def test_the_engines_own_tokenizer_and_an_explicit_template():
    requests = facts("""
        from vllm import LLM, SamplingParams

        llm = LLM("Qwen/Qwen2.5-7B")
        tokenizer = llm.get_tokenizer()
        conversations = [[{"role": "user", "content": "2+2?"}]]
        texts = [tokenizer.apply_chat_template(c, tokenize=False) for c in conversations]
        llm.generate(texts, SamplingParams(temperature=0.7))
        ids = llm.get_tokenizer().apply_chat_template(conversations[0], chat_template=open("t.jinja").read())
        llm.generate({"prompt_token_ids": ids})
    """)
    assert [(r.location.line, r.api, r.chat_template) for r in requests] == [
        (7, "offline-chat", None),
        (9, "offline-chat", "apply_chat_template(chat_template=...)"),
    ]
    assert requests[1].templated_by.literal == "llm.get_tokenizer().apply_chat_template"


def test_a_tokenizer_of_another_model_brings_a_template_chosen_on_purpose():
    """The quick-start shape: an instruct model's tokenizer formats the prompt of a base engine. Still a chat
    through a base model, said with the template it borrows (the checks then lower it)."""
    (request,) = facts("""
        from transformers import AutoTokenizer
        from vllm import LLM

        llm = LLM(model="facebook/opt-125m")
        tokenizer = AutoTokenizer.from_pretrained("Qwen/Qwen2.5-0.5B-Instruct")
        texts = tokenizer.apply_chat_template([[{"role": "user", "content": "hi"}]], tokenize=False)
        llm.generate(texts)
    """)
    assert (request.api, request.chat_template) == \
        ("offline-chat", "the chat template of the tokenizer of `Qwen/Qwen2.5-0.5B-Instruct`")


def test_a_template_applied_only_on_some_branch_is_not_a_chat():
    """`--apply_chat_template` style flags: whether the prompt is templated depends on how the script is
    run, so the request stays a completion (nothing is guessed); a template on the request's own branch
    still counts."""
    assert [(r.location.line, r.api) for r in facts("""
        import argparse
        from transformers import AutoTokenizer
        from vllm import LLM, SamplingParams

        parser = argparse.ArgumentParser()
        parser.add_argument("--model_name_or_path", default="Qwen/Qwen2.5-Math-7B")
        parser.add_argument("--apply_chat_template", action="store_true")
        args = parser.parse_args()
        llm = LLM(model=args.model_name_or_path)
        tokenizer = AutoTokenizer.from_pretrained(args.model_name_or_path)
        prompts = ["Question: 1+1?\\nAnswer:"]
        if args.apply_chat_template:
            prompts = [tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False)
                       for p in prompts]
        outputs = llm.generate(prompts, SamplingParams(temperature=0))
        if args.apply_chat_template:
            chats = [tokenizer.apply_chat_template(m, tokenize=False) for m in [[]]]
            llm.generate(chats, SamplingParams(temperature=0))
    """)] == [(15, "offline-generate"), (18, "offline-chat")]


def test_a_base_model_chatted_with_by_hand_is_vl001_with_the_template_as_evidence(project):
    root = project({"eval/run_eval.py": HAND_CHAT})
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "eval/run_eval.py", 22), ("VL002", "eval/run_eval.py", 22)]
    chat = next(f for f in result.findings if f.rule == "VL001")
    assert chat.severity == "error" and chat.api == "offline-chat"
    assert "vllm.LLM.generate with a chat-templated prompt" in chat.message
    assert any("tokenizer.apply_chat_template` at eval/run_eval.py:14:24" in line for line in chat.evidence)


def test_an_instruct_model_chatted_with_by_hand_is_fine(project):
    root = project({"eval/run_eval.py": HAND_CHAT.replace('"Qwen/Qwen2.5-7B"', '"Qwen/Qwen2.5-7B-Instruct"')})
    assert scan_dir(root).findings == []


def test_llm_from_engine_args_passes_the_word_check():
    """`LLM.from_engine_args(engine_args)` names no `LLM(`: the word clauses still let the file through."""
    source = """
        from dataclasses import asdict
        from vllm import EngineArgs, SamplingParams


        def run(prompts):
            from vllm import LLM  # imported late, as benchmarks do
            engine_args = EngineArgs(model="meta-llama/Llama-3.1-8B", max_model_len=8192)
            llm = LLM.from_engine_args(engine_args)
            return llm.generate(prompts, sampling_params=SamplingParams(temperature=0.0))
    """
    assert summary(source) == [(9, "offline-generate", "vllm.LLM.generate", "meta-llama/Llama-3.1-8B", 0.0)]


EVAL_FROM_LOCAL = """
    import argparse

    import transformers
    from vllm import LLM, SamplingParams


    def load_model():
        llm = LLM(model=args.model, gpu_memory_utilization=float(args.gpu_util), max_model_len=4096)
        sampling_params = SamplingParams(temperature=0, max_tokens=2048, stop=["Question:"])
        tokenizer = transformers.AutoTokenizer.from_pretrained(args.model)
        return (llm, sampling_params, None), tokenizer


    def batch_inference(llm, sampling_params, lora_request, inference_batch):
        outputs = llm.generate(inference_batch, sampling_params, lora_request=lora_request)
        return [output.outputs[0].text for output in outputs]


    def evaluate(subject, model, tokenizer, test_df):
        llm, sampling_params, lora_request = model
        prompts = [f"{subject}: {row}" for row in test_df]
        return batch_inference(llm, sampling_params, lora_request, prompts)


    def main():
        model, tokenizer = load_model()
        for subject in ["math", "law"]:
            evaluate(subject, model, tokenizer, [])


    if __name__ == "__main__":
        parser = argparse.ArgumentParser()
        parser.add_argument("--model", "-m", type=str, default="meta-llama/Llama-2-7b-hf")
        parser.add_argument("--gpu_util", "-gu", type=str, default="0.8")
        args = parser.parse_args()
        main()
"""


def test_an_engine_and_its_sampling_parameters_through_tuples_returns_and_three_calls():
    """Benchmark harnesses return `(llm, sampling_params, ...)` from a loader, unpack it, and pass the parts
    down: the request at the bottom still knows its model and temperature."""
    assert summary(EVAL_FROM_LOCAL) == [
        (15, "offline-generate", "vllm.LLM.generate", "meta-llama/Llama-2-7b-hf", 0)]


def test_the_harness_run_by_its_script_is_found(project):
    root = project({
        "evaluate_from_local.py": EVAL_FROM_LOCAL,
        "scripts/eval_mistral.sh": "cd ../\nmodel=\"mistralai/Mistral-7B-v0.1\"\n"
                                   "python evaluate_from_local.py --model $model --gpu_util 0.9\n",
    })
    result = scan_dir(root)
    assert [(f.rule, f.line, f.model) for f in result.findings] == [("VL002", 15, "mistralai/Mistral-7B-v0.1")]
    assert "scripts/eval_mistral.sh:3:39" in result.findings[0].evidence[0]
