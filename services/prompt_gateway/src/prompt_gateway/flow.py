"""The prompt flow of one chat request: guard → intent → target → developer API → LLM.

1. No user message: the request goes to the LLM unchanged.
2. The jailbreak guard (when `prompt_guards` is configured) checks the last user message.
3. The function-calling service picks a target (the targets are its tools).
4. No intent: the default target (its reply returned, or given to the LLM as context), else
   the LLM with the system prompt. Content without tool calls: the clarification is returned.
5. A tool call: the target's API is called; its answer is returned
   (`auto_llm_dispatch_on_response: false`) or given to the LLM as context, with the
   `x-arch-*` metadata (non-streaming) or the two Arch-Function chunks (streaming).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plano_common.config.types import PlanoConfig, PromptTarget
from plano_common.errors import BadRequest, GatewayError, ServiceUnavailable
from prompt_gateway.answers import SSE, Answer, RelayedStream, json_answer
from prompt_gateway.chunks import ARCH_FC_MODEL, StreamIds, chunk, completion, local_stream, sse
from prompt_gateway.developer_api import ApiCall, DeveloperApi, plan_call, plan_default_call
from prompt_gateway.egress import Egress
from prompt_gateway.guard import JailbreakGuard
from prompt_gateway.intent import FC_MODEL_RESPONSE_KEY, Intent, IntentClient
from prompt_gateway.llm import llm_body, llm_messages
from prompt_gateway.observe import Observer, Trail
from prompt_gateway.replies import DefaultReply, tool_call_metadata, unknown_target
from prompt_gateway.request import ChatRequest, last_user_index, parse_chat_request, text_of
from prompt_gateway.state import ARCH_STATE_KEY, merge_state, read_state
from prompt_gateway.tools import parameter_defaults, target_tools

__all__ = ["PromptFlow", "RequestContext"]

Result = Answer | RelayedStream


@dataclass(slots=True)
class RequestContext:
    """Per-request facts: the trail, headers for internal callouts and for the egress."""

    trail: Trail
    base_headers: dict[str, str]
    llm_headers: dict[str, str]


def _role_then_content(content: str, model: str = "") -> list[tuple[dict[str, Any], str]]:
    return [({"role": "assistant"}, model), ({"content": content}, model)]


class PromptFlow:
    """Runs the prompt flow for the configured targets."""

    def __init__(
        self,
        config: PlanoConfig,
        *,
        intent: IntentClient,
        api: DeveloperApi,
        egress: Egress,
        guard: JailbreakGuard | None,
        observer: Observer,
    ) -> None:
        self.targets = {target.name: target for target in config.prompt_targets}
        self.default_target = next((t for t in config.prompt_targets if t.default), None)
        self.tools = target_tools(config.prompt_targets)
        self.system_prompt = config.system_prompt
        self.intent = intent
        self.api = api
        self.egress = egress
        self.guard = guard
        self.obs = observer

    async def run(self, raw: bytes, ctx: RequestContext) -> Result:
        """The answer to one request body; raises GatewayError for error answers."""
        request = parse_chat_request(raw)
        ctx.trail.stream, ctx.trail.model = request.stream, request.model
        state = read_state(request.metadata)
        index = last_user_index(request.messages)
        if index is None:
            ctx.trail.outcome = "passthrough"
            return await self._llm(request, request.body, ctx)
        content = request.messages[index].get("content")
        if content is None:
            raise BadRequest("the last user message has no content", param="messages")
        text = text_of(content) or ""
        if self.guard is not None and text.strip():
            blocked = await self._guard(self.guard, text, request, ctx)
            if blocked is not None:
                return blocked
        if not self.targets:
            return await self._plain_llm(request, ctx)
        intent = await self._decide(request, state, ctx)
        if not intent.matched:
            return await self._no_intent(request, ctx)
        if not intent.calls:
            return self._clarification(request, intent, ctx)
        return await self._tool_call(request, intent, ctx)

    async def _llm(
        self,
        request: ChatRequest,
        body: dict[str, Any],
        ctx: RequestContext,
        prefix: bytes = b"",
        decorate: Callable[[dict[str, Any]], None] | None = None,
    ) -> Result:
        with self.obs.callout("llm", ctx.llm_headers) as call:
            result: Result
            if request.stream:
                result = await self.egress.stream(body, call.headers, prefix)
            else:
                result = await self.egress.complete(body, call.headers, decorate)
            call.status = result.status if isinstance(result, Answer) else result.response.status
        return result

    async def _plain_llm(self, request: ChatRequest, ctx: RequestContext) -> Result:
        ctx.trail.outcome = "llm"
        messages = llm_messages(self.system_prompt, request.messages, None)
        return await self._llm(request, llm_body(request, messages), ctx)

    async def _guard(
        self, guard: JailbreakGuard, text: str, request: ChatRequest, ctx: RequestContext
    ) -> Answer | None:
        metrics = self.obs.metrics
        try:
            if guard.target is None:
                decision = await guard.check(text, ctx.base_headers)
            else:
                with self.obs.callout("guard", ctx.base_headers) as call:
                    decision = await guard.check(text, call.headers)
                    call.status = 0 if decision.source == "error" else 200
        except ServiceUnavailable:
            metrics.guard_errors.labels("closed").inc()
            ctx.trail.guard = "error"
            raise
        if decision.source == "error":
            metrics.guard_errors.labels("open").inc()
        verdict = "blocked" if decision.blocked else "allowed"
        metrics.guard_decisions.labels(decision.source, verdict).inc()
        ctx.trail.guard = f"{decision.source}:{verdict}"
        if not decision.blocked:
            return None
        ctx.trail.outcome = "guard_blocked"
        if request.stream:
            return Answer(200, local_stream(ARCH_FC_MODEL, _role_then_content(guard.message)), SSE)
        return json_answer(completion(ARCH_FC_MODEL, guard.message))

    async def _decide(
        self, request: ChatRequest, state: list[dict[str, Any]], ctx: RequestContext
    ) -> Intent:
        payload: dict[str, Any] = {
            "messages": merge_state(request.messages, state),
            "model": request.model,
            "stream": False,
            "tools": self.tools,
        }
        if request.metadata is not None:
            payload["metadata"] = {
                key: value for key, value in request.metadata.items() if key != ARCH_STATE_KEY
            }
        with self.obs.callout("function_calling", ctx.base_headers) as call:
            try:
                intent = await self.intent.decide(payload, call.headers)
            except GatewayError as exc:
                call.status = getattr(exc, "upstream_status", 0)
                raise
            call.status = 200
        return intent

    async def _send(
        self, kind: str, target: PromptTarget, ctx: RequestContext, plan: Callable[..., ApiCall]
    ) -> str:
        metrics = self.obs.metrics
        label = metrics.target_label(target.name)
        with self.obs.callout(kind, ctx.base_headers) as call:
            try:
                text = await self.api.send(plan(call.headers))
            except GatewayError as exc:
                call.status = getattr(exc, "upstream_status", 0)
                status = f"{call.status // 100}xx" if call.status else "none"
                metrics.target_calls.labels(label, status).inc()
                raise
            call.status = 200
        metrics.target_calls.labels(label, "2xx").inc()
        return text

    async def _no_intent(self, request: ChatRequest, ctx: RequestContext) -> Result:
        target = self.default_target
        if target is None or target.endpoint is None:
            return await self._plain_llm(request, ctx)
        endpoint = target.endpoint
        ctx.trail.outcome, ctx.trail.target = "default_target", target.name
        text = await self._send(
            "default_target",
            target,
            ctx,
            lambda headers: plan_default_call(
                endpoint.name, endpoint.path, request.messages, headers, endpoint.http_headers
            ),
        )
        reply = DefaultReply.parse(text, endpoint.name, endpoint.path)
        if not target.auto_llm_dispatch_on_response:
            if not request.stream:
                return Answer(200, text.encode())
            parts = _role_then_content(reply.content, reply.model)
            return Answer(200, local_stream(reply.model, parts, StreamIds(reply.id)), SSE)
        messages = llm_messages(target.system_prompt, request.messages, reply.content)
        return await self._llm(request, llm_body(request, messages), ctx)

    def _clarification(self, request: ChatRequest, intent: Intent, ctx: RequestContext) -> Answer:
        ctx.trail.outcome = "clarification"
        if request.stream:
            return Answer(200, local_stream(ARCH_FC_MODEL, _role_then_content(intent.content)), SSE)
        metadata = {FC_MODEL_RESPONSE_KEY: intent.fc_model_response or ""}
        return json_answer(completion(ARCH_FC_MODEL, intent.content, metadata=metadata))

    async def _tool_call(self, request: ChatRequest, intent: Intent, ctx: RequestContext) -> Result:
        call = intent.calls[0]
        target = self.targets.get(call.name)
        if target is None or target.endpoint is None:
            raise unknown_target(call.name, target)
        endpoint = target.endpoint
        ctx.trail.outcome, ctx.trail.target = "tool_call", target.name
        defaults = parameter_defaults(target)
        api_text = await self._send(
            "developer_api",
            target,
            ctx,
            lambda headers: plan_call(
                endpoint.name,
                endpoint.path,
                endpoint.http_method,
                call.arguments,
                defaults,
                headers,
                endpoint.http_headers,
            ),
        )
        fc_text, metadata = tool_call_metadata(intent, call, api_text)
        if not target.auto_llm_dispatch_on_response:
            ctx.trail.outcome = "api_response"
            if request.stream:
                return Answer(200, local_stream(ARCH_FC_MODEL, _role_then_content(api_text)), SSE)
            return json_answer(completion(ARCH_FC_MODEL, api_text, metadata=metadata))
        system_prompt = target.system_prompt or self.system_prompt
        body = llm_body(request, llm_messages(system_prompt, request.messages, api_text))
        if request.stream:
            ids = StreamIds()
            prefix = sse(
                chunk(ids, ARCH_FC_MODEL, {"role": "assistant", "content": fc_text})
            ) + sse(chunk(ids, ARCH_FC_MODEL, {"role": "tool", "content": api_text}))
            return await self._llm(request, body, ctx, prefix=prefix)

        def decorate(data: dict[str, Any]) -> None:
            existing = data.get("metadata")
            data["metadata"] = {**(existing if isinstance(existing, dict) else {}), **metadata}

        return await self._llm(request, body, ctx, decorate=decorate)
