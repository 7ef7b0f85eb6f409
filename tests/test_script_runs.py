"""Shell into Python (issue 17, item 7): a command line that runs one of the project's programs passes
options that override the defaults the program's facts were resolved with. Modelled on math-eval and RLHF
repositories: an `eval.sh` that runs `python3 -u math_eval.py --model_name_or_path ... --temperature 0`,
`torchrun`/`accelerate launch`/`deepspeed` training launches, a Dockerfile `CMD`, a Kubernetes Job, a README."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import rule_lines, scan_dir
from vlint.extract.python import extract_python
from vlint.extract.shell import extract_shell_file

# ---- the command lines ----------------------------------------------------------------------------------

RUN_SCRIPT = r"""#!/usr/bin/env bash
set -ex
MODEL_NAME_OR_PATH=Qwen/Qwen2.5-Math-7B
OUTPUT_DIR=${MODEL_NAME_OR_PATH}/math_eval

TOKENIZERS_PARALLELISM=false \
python3 -u math_eval.py \
    --model_name_or_path ${MODEL_NAME_OR_PATH} \
    --output_dir ${OUTPUT_DIR} \
    --temperature 0 \
    --use_vllm \
    --seed=0
torchrun --nproc_per_node=8 --master_port 29500 -m openrlhf.cli.train_sft --pretrain meta-llama/Llama-3.1-8B
accelerate launch --config_file recipes/zero3.yaml --num_processes 7 src/grpo.py --model_name_or_path Qwen/Qwen2.5-1.5B
deepspeed --num_gpus 8 train.py --deepspeed ds_config.json --model mistralai/Mistral-7B-v0.1
nohup ./serve_eval.py --temperature=0.2 > eval.log 2>&1 &
bash -c "python -m evals.run --temperature 0.1"
python -c "print('no program file')"
python -m vllm.entrypoints.openai.api_server --model Qwen/Qwen2.5-7B
"""


def test_every_way_a_program_is_run_and_the_options_it_gets():
    facts = extract_shell_file(RUN_SCRIPT, "scripts/eval.sh")
    runs = [(r.location.line, r.launcher, r.script, r.module,
             [(key, value.literal) for key, value in r.options]) for r in facts.runs]
    assert runs == [
        (7, "python3", "math_eval.py", None, [("model_name_or_path", "Qwen/Qwen2.5-Math-7B"),
                                              ("output_dir", "Qwen/Qwen2.5-Math-7B/math_eval"),
                                              ("temperature", "0"), ("use_vllm", True), ("seed", "0")]),
        (13, "torchrun", None, "openrlhf.cli.train_sft", [("pretrain", "meta-llama/Llama-3.1-8B")]),
        (14, "accelerate launch", "src/grpo.py", None, [("model_name_or_path", "Qwen/Qwen2.5-1.5B")]),
        (15, "deepspeed", "train.py", None, [("deepspeed", "ds_config.json"), ("model", "mistralai/Mistral-7B-v0.1")]),
        (16, "", "./serve_eval.py", None, [("temperature", "0.2")]),
        (17, "python", None, "evals.run", [("temperature", "0.1")]),
    ]
    option = facts.runs[0].options[0][1]
    assert (option.location.line, option.location.column) == (8, 26)  # the `${MODEL_NAME_OR_PATH}` word
    assert [s.launcher for s in facts.serves] == ["python -m vllm.entrypoints.openai.api_server"]


# ---- the options a program reads ------------------------------------------------------------------------

@pytest.mark.parametrize("source, model_options, literal", [
    ("""
        import argparse
        from vllm import LLM
        parser = argparse.ArgumentParser()
        parser.add_argument("--model-name-or-path", "-m", dest="model", required=True)
        args = parser.parse_args()
        LLM(model=args.model).generate(["x"])
    """, ("model_name_or_path", "m"), None),
    ("""
        import click
        from vllm import LLM
        @click.command()
        @click.option("--model-name", default="Qwen/Qwen2.5-7B")
        def main(model_name):
            LLM(model=model_name).generate(["x"])
    """, ("model_name",), "Qwen/Qwen2.5-7B"),
    ("""
        import typer
        from vllm import LLM
        app = typer.Typer()
        @app.command()
        def main(model: str = typer.Option("Qwen/Qwen2.5-7B", "--model-id"), n: int = 1):
            LLM(model=model).generate(["x"])
    """, ("model_id",), "Qwen/Qwen2.5-7B"),
    ("""
        import fire
        from vllm import LLM
        def main(model, temperature=0.0):
            LLM(model=model).generate(["x"])
        if __name__ == "__main__":
            fire.Fire(main)
    """, ("model",), None),
    ("""
        from dataclasses import dataclass, field
        from transformers import HfArgumentParser
        from vllm import LLM
        @dataclass
        class ModelArguments:
            model_name_or_path: str = field(default="Qwen/Qwen2.5-0.5B")
        @dataclass
        class DataArguments:
            dataset: str = "gsm8k"
        model_args, data_args = HfArgumentParser((ModelArguments, DataArguments)).parse_args_into_dataclasses()
        LLM(model=model_args.model_name_or_path).generate(["x"])
    """, ("model_name_or_path",), "Qwen/Qwen2.5-0.5B"),
])
def test_argparse_click_typer_fire_and_dataclass_options(source, model_options, literal):
    facts = extract_python(textwrap.dedent(source).lstrip("\n"), "prog.py")
    (request,) = facts.requests
    assert request.model.options == model_options and request.model.literal == literal


def test_a_plain_function_parameter_is_no_option():
    facts = extract_python("from vllm import LLM\ndef run(model='Qwen/Qwen2.5-7B'):\n"
                           "    return LLM(model=model).generate(['x'])\n", "lib.py")
    assert facts.requests[0].model.options == ()


# ---- joined, end to end -----------------------------------------------------------------------------------

MATH_EVAL = """
    import argparse

    from vllm import LLM, SamplingParams


    def parse_args():
        parser = argparse.ArgumentParser()
        parser.add_argument("--model_name_or_path", default="gpt-4", type=str)
        parser.add_argument("--output_dir", default="./output", type=str)
        parser.add_argument("--temperature", default=0.7, type=float)
        parser.add_argument("--seed", default=0, type=int)
        parser.add_argument("--use_vllm", action="store_true")
        return parser.parse_args()


    def main(args):
        llm = LLM(model=args.model_name_or_path, seed=args.seed)
        params = SamplingParams(temperature=args.temperature, max_tokens=2048)
        return llm.generate(["Question: 1+1?\\nAnswer:"], params)


    if __name__ == "__main__":
        main(parse_args())
"""


def test_the_run_overrides_the_programs_defaults(project):
    root = project({"evaluation/math_eval.py": MATH_EVAL, "evaluation/sh/eval.sh": RUN_SCRIPT})
    result = scan_dir(root)
    assert rule_lines(result) == [("VL002", "evaluation/math_eval.py", 19)]
    (finding,) = result.findings
    assert finding.model == "Qwen/Qwen2.5-Math-7B" and finding.temperature == 0
    assert finding.evidence[0] == ("model `Qwen/Qwen2.5-Math-7B` (`--model_name_or_path` of `python3 math_eval.py`, "
                                   "from MODEL_NAME_OR_PATH set at evaluation/sh/eval.sh:3:1) at "
                                   "evaluation/sh/eval.sh:8:26")
    assert "temperature 0: `--temperature` of `python3 math_eval.py`, at evaluation/sh/eval.sh:10:19" in finding.evidence


def test_one_finding_per_run_that_uses_a_base_model_and_defaults_stay_where_a_run_is_silent(project):
    root = project({
        "math_eval.py": MATH_EVAL,
        "run_all.sh": """
            python math_eval.py --model_name_or_path Qwen/Qwen2.5-7B-Instruct --temperature 0
            python math_eval.py --model_name_or_path meta-llama/Llama-3.1-8B
            python math_eval.py --model_name_or_path meta-llama/Llama-3.1-8B --temperature 0.1
        """,
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL002", "math_eval.py", 19)]
    (finding,) = result.findings
    assert finding.temperature == 0.1 and any("run_all.sh:3" in line for line in finding.evidence)


def test_runs_from_a_dockerfile_a_kubernetes_job_and_a_readme(project):
    eval_client = """
        import argparse
        from openai import OpenAI

        parser = argparse.ArgumentParser()
        parser.add_argument("--model", required=True)
        parser.add_argument("--base-url", default="http://localhost:8000/v1")
        args = parser.parse_args()
        client = OpenAI(base_url=args.base_url, api_key="EMPTY")
        client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "hi"}])
    """
    root = project({
        "app/chat_eval.py": eval_client,
        "app/Dockerfile": 'FROM python:3.11\nCOPY . /app\nCMD ["python", "/app/chat_eval.py", "--model", '
                          '"Qwen/Qwen2.5-14B"]\n',
        "deploy/job.yaml": """
            apiVersion: batch/v1
            kind: Job
            metadata: {name: chat-eval}
            spec:
              template:
                spec:
                  containers:
                    - name: eval
                      image: ghcr.io/acme/chat-eval:latest
                      command: ["python", "app/chat_eval.py"]
                      args: ["--model", "mistralai/Mistral-7B-v0.1"]
                  restartPolicy: Never
        """,
        "README.md": "# Chat eval\n\n```bash\npython app/chat_eval.py --model meta-llama/Llama-3.1-8B\n```\n",
    })
    result = scan_dir(root)
    found = sorted((f.rule, f.path, f.line, f.model, f.context) for f in result.findings)
    assert found == [
        ("VL001", "app/chat_eval.py", 9, "Qwen/Qwen2.5-14B", "code"),
        ("VL001", "app/chat_eval.py", 9, "meta-llama/Llama-3.1-8B", "docs"),
        ("VL001", "app/chat_eval.py", 9, "mistralai/Mistral-7B-v0.1", "code"),
    ]
    readme = next(f for f in result.findings if f.context == "docs")
    assert readme.severity != "error" and "README.md:4" in readme.evidence[0]


def test_programs_that_are_not_the_projects_or_ambiguous_are_not_joined(project):
    root = project({
        "a/eval.py": MATH_EVAL,
        "b/eval.py": MATH_EVAL,
        "run.sh": "python eval.py --model_name_or_path meta-llama/Llama-3.1-8B --temperature 0\n"
                  "python other.py --model_name_or_path meta-llama/Llama-3.1-8B --temperature 0\n",
    })
    assert scan_dir(root).findings == []  # `gpt-4` at 0.7 is what either eval.py runs with on its own


def test_a_run_next_to_its_program_wins_over_a_same_named_one(project):
    root = project({
        "a/eval.py": MATH_EVAL,
        "b/eval.py": MATH_EVAL,
        "a/run.sh": "python eval.py --model_name_or_path meta-llama/Llama-3.1-8B --temperature 0\n",
    })
    assert rule_lines(scan_dir(root)) == [("VL002", "a/eval.py", 19)]


def test_torchrun_of_a_module_with_dataclass_options(project):
    root = project({
        "rlhf/rollout.py": """
            from dataclasses import dataclass, field

            from transformers import HfArgumentParser
            from vllm import LLM, SamplingParams


            @dataclass
            class RolloutArguments:
                pretrain: str = field(default="Qwen/Qwen2.5-0.5B-Instruct")
                temperature: float = 1.0


            def main():
                (args,) = HfArgumentParser((RolloutArguments,)).parse_args_into_dataclasses()
                llm = LLM(model=args.pretrain)
                return llm.generate(["x"], SamplingParams(temperature=args.temperature))
        """,
        "examples/train_rollout.sh": "torchrun --nproc_per_node 8 -m rlhf.rollout \\\n"
                                     "   --pretrain Qwen/Qwen2.5-7B --temperature 0.0\n",
    })
    result = scan_dir(root)
    assert rule_lines(result) == [("VL002", "rlhf/rollout.py", 16)]
    assert "examples/train_rollout.sh:2:15" in result.findings[0].evidence[0]
