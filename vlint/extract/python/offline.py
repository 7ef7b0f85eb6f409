"""vLLM's offline API: the engines a module builds and the requests made through them.

An engine (`offline:` in rules/clients.yaml) is
  - `LLM(...)`, or a class of the module that subclasses it (`class Generator(LLM)`);
  - made from engine arguments: `LLMEngine.from_engine_args(EngineArgs(model=...))`,
    `AsyncLLMEngine.from_engine_args(...)`, `AsyncLLM.from_vllm_config(engine_args.create_engine_config())`;
  - a Ray actor of one: `ray.remote(LLM)` or `ray.remote(num_gpus=1)(LLM)`, made by `.remote(...)` or
    `.options(...).remote(...)` (a class decorated with `@ray.remote` that holds `self.llm = LLM(...)` needs
    nothing more: its own `self.llm.generate(...)` is the request).
The receiver of `.generate`/`.chat`/`.add_request` (on an actor: `.generate.remote`) is followed to the engine
through names, `self.` attributes and what the module's calls pass for a parameter (`callsites.py`); the
engine's arguments are read where the engine is built.

Chat by hand: a prompt made by a tokenizer's chat template (`tokenizer.apply_chat_template(messages)`,
`llm.get_tokenizer().apply_chat_template(...)`) and given to `generate` is a chat request: on a base model it
is the same mistake as `LLM.chat`. The template call is named in the request's evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import libcst as cst

from vlint.extract.python.reading import FactReader
from vlint.extract.python.scopes import Scope, attribute_chain
from vlint.extract.python.walk import walked_fields
from vlint.facts import Request, Value

_MAX_DEPTH = 8
_TEMPLATE_NODES = 4000  # nodes looked at per prompt for a chat-template call: expressions are small


@dataclass(frozen=True)
class _Engine:
    """An engine a request goes through: what builds it, and the call that carries its model."""

    kind: str  # the engine's class: LLM, LLMEngine, AsyncLLM...
    carrier: cst.Call | None  # `LLM(...)` itself, or the `EngineArgs(...)` a factory reads
    scope: Scope  # where the carrier is called: its arguments are read there
    from_args: bool = False  # the carrier is engine arguments (`EngineArgs(...)`), not the engine's constructor


class OfflineReader(FactReader):
    """The vLLM-engine part of the visitor (`visitor.Extractor`)."""

    def _offline_request(self, node: cst.Call, line: int) -> bool:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return False
        method, receiver = func.attr.value, func.value
        if method == self.cat.actor_call and isinstance(receiver, cst.Attribute):
            method, receiver = receiver.attr.value, receiver.value  # `actor.generate.remote(...)`
        api = self.cat.engine_methods.get(method)
        if api is None:
            return False
        engine = self._engine(receiver, line)
        if engine is None:
            return False
        model, engine_template = self._engine_model(engine)
        positional, keywords = self.call_arguments(node, line)
        sp_node = keywords.get(self.cat.sampling_keyword.get(method, "sampling_params"))
        index = self.cat.sampling_position.get(method, 1)
        if sp_node is None and len(positional) > index:
            sp_node = positional[index]
        temperature, default = self._sampling_temperature(sp_node, line)
        max_tokens, scores = self._sampling_output(sp_node, line)
        template = "LLM.chat(chat_template=...)" if "chat_template" in keywords or engine_template else None
        prompt = self._pick(positional, keywords, self.cat.prompt_argument.get(method, ()))
        client = f"vllm.{engine.kind}.{method}"
        messages = self._messages(prompt, line) if api == "offline-chat" else None
        templated_by = None
        by_hand = self._chat_template_use(prompt, line, node) if api == "offline-generate" else None
        if by_hand is not None:
            api, client = "offline-chat", f"{client} with a chat-templated prompt"
            shown = ".".join(attribute_chain(by_hand.func)).replace(".()", "()")
            templated_by = Value(shown, self._loc(by_hand))
            template = self._hand_template(by_hand, model) or template
        self.facts.requests.append(Request(
            location=self._loc(node), api=api, client=client, model=model,  # type: ignore[arg-type]
            temperature=temperature, default_temperature=default, messages=messages, chat_template=template,
            templated_by=templated_by, max_tokens=max_tokens, scores=scores,
        ))
        return True

    # ---- engines -----------------------------------------------------------------------------------

    def _engine(self, node: cst.BaseExpression | None, line: int, depth: int = 0) -> _Engine | None:
        """The engine an expression refers to: built inline, bound to a name or a `self.` attribute, or
        passed for a parameter by the module's calls."""
        if node is None or depth > _MAX_DEPTH:
            return None
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, cst.Call):
            return self._engine_built_by(node, line, depth)
        return self.through_names(node, line, depth, self._engine)

    def _engine_built_by(self, call: cst.Call, line: int, depth: int) -> _Engine | None:
        qual = self._qualname(call.func) or ""
        if qual in self.cat.engines or self._engine_class(call.func, line, depth):
            return _Engine("LLM", call, self._scope_of(call))
        if self.cat.is_engine_factory(qual):  # `LLMEngine.from_engine_args(engine_args)`
            owner, _, factory = qual.rpartition(".")
            positional, keywords = self.call_arguments(call, line)
            argument = keywords.get(self.cat.engine_factories[factory]) or (positional[0] if positional else None)
            carrier = self._engine_args(argument, line, depth + 1)
            scope = self._scope_of(carrier) if carrier is not None else self.scope
            return _Engine(owner.rpartition(".")[2], carrier, scope, from_args=True)
        func = call.func
        if isinstance(func, cst.Name):  # a function of the module that returns an engine
            for function in self.c.functions.get(func.value, ()):
                if function.owner is None:
                    with self.in_scope(function):
                        for returned in function.returns:
                            found = self._engine(returned, self._loc(returned).line, depth + 1)
                            if found is not None:
                                return found
            return None
        if isinstance(func, cst.Attribute) and func.attr.value == self.cat.actor_call:
            made = func.value
            if isinstance(made, cst.Call) and isinstance(made.func, cst.Attribute) and made.func.attr.value == "options":
                made = made.func.value  # `Actor.options(num_gpus=1).remote(...)`
            if self._actor_of_engine(made, line, depth + 1):
                return _Engine("LLM", call, self._scope_of(call))
        return None

    def _engine_class(self, node: cst.BaseExpression, line: int, depth: int) -> bool:
        """`LLM`, or a class of the module that subclasses an engine class (`class Generator(LLM)`)."""
        if depth > _MAX_DEPTH:
            return False
        if self._qualname(node) in self.cat.engines:
            return True
        if isinstance(node, cst.Name) and node.value in self.c.class_bases:
            return any(self._engine_class(base, line, depth + 1) for base in self.c.class_bases[node.value])
        return False

    def _actor_of_engine(self, node: cst.BaseExpression, line: int, depth: int) -> bool:
        """`ray.remote(LLM)`, `ray.remote(num_gpus=1)(LLM)`, a name bound to one, or an engine class (a
        subclass decorated with `@ray.remote`)."""
        if depth > _MAX_DEPTH:
            return False
        if isinstance(node, cst.Name):
            if self._engine_class(node, line, depth):
                return True
            binding = self.scope.lookup(node.value, line)
            return binding is not None and binding.node is not None \
                and self._actor_of_engine(binding.node, binding.line, depth + 1)
        if not isinstance(node, cst.Call) or not node.args:
            return False
        wrapper = node.func.func if isinstance(node.func, cst.Call) else node.func
        return self._qualname(wrapper) in self.cat.actor_wrappers \
            and self._engine_class(node.args[0].value, line, depth + 1)

    def _engine_args(self, node: cst.BaseExpression | None, line: int, depth: int) -> cst.Call | None:
        """The `EngineArgs(...)` call an engine factory's argument comes from: inline, through names, or
        through `engine_args.create_engine_config()`."""
        if node is None or depth > _MAX_DEPTH:
            return None
        if isinstance(node, cst.Call):
            qual = self._qualname(node.func)
            if qual is not None and self.cat.is_vllm_class(qual, self.cat.engine_args):
                return node
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == self.cat.engine_config_from_args:
                return self._engine_args(node.func.value, line, depth + 1)
            return None
        return self.through_names(node, line, depth, self._engine_args)

    def _engine_model(self, engine: _Engine) -> tuple[Value | None, bool]:
        """The engine's model (read where the engine is built) and whether it was given a chat template."""
        if engine.carrier is None:
            return None, False
        names = self.cat.engine_args_model if engine.from_args else self.cat.engine_model
        with self.in_scope(engine.scope):
            line = self._loc(engine.carrier).line
            positional, keywords = self.call_arguments(engine.carrier, line)
            return self._model_value(self._pick(positional, keywords, names), line, False), "chat_template" in keywords

    def _scope_of(self, call: cst.Call) -> Scope:
        if self._call_scopes is None:
            self._call_scopes = {id(c): scope for c, scope in self.c.calls}
        return self._call_scopes.get(id(call), self.scope)

    _call_scopes: dict[int, Scope] | None = None

    # ---- sampling parameters -----------------------------------------------------------------------

    def _sampling_call(self, node: cst.BaseExpression | None, line: int, depth: int = 0) -> cst.Call | None:
        if node is None or depth > 6:
            return None
        if isinstance(node, cst.Call) and self._qualname(node.func) in self.cat.sampling_params:
            return node
        if isinstance(node, cst.Name) and self.scope.lookup(node.value, line) is None:
            # Defined anywhere in the module (another function): use it when it is unambiguous.
            candidates = [b for b in self.c.all_bindings.get(node.value, [])
                          if isinstance(b.node, cst.Call) and self._qualname(b.node.func) in self.cat.sampling_params]
            return candidates[0].node if len(candidates) == 1 else None  # type: ignore[return-value]
        if isinstance(node, (cst.List, cst.Tuple)) and node.elements:
            return self._sampling_call(node.elements[0].value, line, depth + 1)
        return self.through_names(node, line, depth, self._sampling_call, alternatives=False)

    def _sampling_output(self, node: cst.BaseExpression | None, line: int) -> tuple[int | None, tuple[str, ...]]:
        """What the sampling parameters ask to get back (`max_tokens`, `logprobs`: `facts.output_fields`)."""
        call = self._sampling_call(node, line) if node is not None else None
        if call is None:
            return None, ()
        return self._output_fields(self.call_arguments(call, self._loc(call).line)[1], line)

    def _sampling_temperature(self, node: cst.BaseExpression | None, line: int) -> tuple[Value | None, float | None]:
        default = self.cat.offline_default_temperature
        if node is None:
            return None, default
        call = self._sampling_call(node, line)
        if call is None:
            return Value(None, self._loc(node), "sampling parameters not resolvable"), None
        with self.in_scope(self._scope_of(call)):
            cline = self._loc(call).line
            positional, keywords = self.call_arguments(call, cline)
            if "temperature" in keywords:
                value = self.value_of(keywords["temperature"], cline)
                return (value or Value(None, self._loc(keywords["temperature"]), "unresolved")), default
        return None, default

    # ---- chat by hand ------------------------------------------------------------------------------

    def _hand_template(self, call: cst.Call, model: Value | None) -> str | None:
        """A template chosen on purpose: passed to the call (`chat_template=...`), or another model's, from
        a tokenizer loaded from another repository (`AutoTokenizer.from_pretrained(X)`, X not the engine's
        model). The engine's own tokenizer (`llm.get_tokenizer()`) brings the model's own template: None."""
        if any(arg.keyword is not None and arg.keyword.value == "chat_template" for arg in call.args):
            return f"{self.cat.chat_template_call}(chat_template=...)"
        receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
        if isinstance(receiver, cst.Name):
            binding = self.scope.lookup(receiver.value, self._loc(call).line)
            receiver = binding.node if binding is not None else None
        if not isinstance(receiver, cst.Call) or attribute_chain(receiver.func)[-1:] != ["from_pretrained"] \
                or not receiver.args or model is None or not isinstance(model.literal, str):
            return None
        source = self.value_of(receiver.args[0].value, self._loc(receiver).line)
        if source is None or not isinstance(source.literal, str) or source.literal.strip() == model.literal:
            return None
        return f"the chat template of the tokenizer of `{source.literal}`"

    def _chat_template_use(self, node: cst.BaseExpression | None, line: int, request: cst.Call) -> cst.Call | None:
        """The chat-template call the prompt of `request` is made by: in the expression itself, or in what
        the names it uses are bound to, grown with (`prompts.append(...)`), or returned by a function of
        the module; applied whenever the request is made."""
        if node is None:
            return None
        found = self._template_in(node, self.scope, set(), [_TEMPLATE_NODES])
        if found is None:
            return None
        # Applied on a branch the request is not on (`if args.apply_chat_template: prompts = [...]`): the
        # prompt is chat-templated only sometimes, and nothing here says when; not a chat.
        request_guards = self.c.guards_of.get(id(request), ())
        template_guards = self.c.guards_of.get(id(found), ())
        return found if request_guards[:len(template_guards)] == template_guards else None

    def _template_in(self, node: cst.BaseExpression, scope: Scope, seen: set[tuple[int, str]],
                     budget: list[int]) -> cst.Call | None:
        for sub in _expression_nodes(node, budget):
            if isinstance(sub, cst.Call):
                chain = attribute_chain(sub.func)
                if chain[-1:] == [self.cat.chat_template_call]:
                    return sub
                if isinstance(sub.func, cst.Name):  # a function of the module that returns a templated prompt
                    for function in self.c.functions.get(sub.func.value, ()):
                        if function.owner is None and (id(function), "<return>") not in seen:
                            seen.add((id(function), "<return>"))
                            for returned in function.returns:
                                found = self._template_in(returned, function, seen, budget)
                                if found is not None:
                                    return found
            elif isinstance(sub, cst.Name):
                found = self._template_in_name(sub.value, scope, seen, budget)
                if found is not None:
                    return found
        return None

    def _template_in_name(self, name: str, scope: Scope, seen: set[tuple[int, str]],
                          budget: list[int]) -> cst.Call | None:
        holder: Scope | None = scope
        while holder is not None and name not in holder.names and name not in holder.grown:
            holder = holder.parent
        if holder is None or (id(holder), name) in seen:
            return None
        seen.add((id(holder), name))
        values = [b.node for b in holder.names.get(name, ()) if b.node is not None]
        for value in (*values, *holder.grown.get(name, ())):
            found = self._template_in(value, holder, seen, budget)
            if found is not None:
                return found
        return None


def _expression_nodes(node: cst.CSTNode, budget: list[int]) -> Iterator[cst.CSTNode]:
    """The nodes of an expression, itself first; lambdas and nested function bodies included. Stops when
    the shared `budget` of nodes is spent (a huge literal is no prompt worth reading whole)."""
    todo = [node]
    while todo and budget[0] > 0:
        current = todo.pop()
        budget[0] -= 1
        yield current
        for name in _fields(current.__class__):
            child = getattr(current, name)
            if isinstance(child, cst.CSTNode):
                todo.append(child)
            elif isinstance(child, (tuple, list)):
                todo.extend(item for item in child if isinstance(item, cst.CSTNode))


@cache
def _fields(cls: type) -> tuple[str, ...]:
    return walked_fields(cls)
