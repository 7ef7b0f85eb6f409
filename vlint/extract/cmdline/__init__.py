"""Command lines -> Serve/Request facts, one module per command-line family.

`dispatch.facts_from_argv` is the entry point: it unwraps wrappers (`sudo`, `nohup`, `uv run`, ...) and
hands argv to its family: `vllm` (serve, run-batch, `python -m vllm...`, chat/complete), `docker`
(run/create/exec and image entrypoints), `curl` (OpenAI-compatible routes, with `jsonbody` for the bodies)
or `nested` (`bash -c`, `eval`, `ssh`, `tmux`); `servers` reads every other OpenAI-compatible server
(SGLang, TGI, llama.cpp, Ollama, LMDeploy) from the tables of `rules/servers.yaml`. `variables` resolves
`$NAME` references, `flags` holds vLLM's flag arities, `heads` the words that start a command we read,
`context` what a family reads and writes. The shell extractor, which these families call back for nested
shells, sits above the package.
"""
