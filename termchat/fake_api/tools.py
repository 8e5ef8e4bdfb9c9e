"""Planning the output items of the default fake model (reasoning, tools, message).

Deterministic rules for when a hosted tool "runs" (the tool must also be in
``tools``): ``tool_choice`` is ``"required"`` or names the tool type, or the
last user message contains a trigger word:

* web_search / web_search_preview: "search", "look up", "latest", "news", "web"
* file_search: "file", "docs", "document"
* code_interpreter: "run", "compute", "calculate", "python", "code"
* mcp: "mcp", "tool", or the tool's ``server_label``; ``require_approval``
  "always" (or absent, like the real API's default) yields an
  ``mcp_approval_request`` and the response ends there. A follow-up input item
  ``{"type":"mcp_approval_response","approval_request_id":...,"approve":bool}``
  continues: approve -> ``mcp_call`` + summary text, deny -> a text saying so.
* function tools: ``tool_choice`` naming it (or "required"), or the prompt
  mentioning its name -> a ``function_call`` with schema-generated arguments;
  a trailing ``function_call_output`` is answered with a text about it.

Models named ``o1…``/``o3…``/``o4…``/``gpt-5…`` emit a ``reasoning`` item first
(with a summary when ``reasoning.summary`` is set).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .model import Plan, answer_text, chunk_text, expand_compaction, find_arithmetic, item_text, schema_instance

_TRIGGERS = {
    "web_search": r"\b(search|look(?:ing)? up|latest|news|web)\b",
    "file_search": r"\b(files?|docs?|documents?)\b",
    "code_interpreter": r"\b(run|compute|calculate|python|code)\b",
    "mcp": r"\b(mcp|tool)\b",
}
_VERBS = {
    "get",
    "set",
    "fetch",
    "lookup",
    "find",
    "list",
    "create",
    "update",
    "delete",
    "run",
    "call",
    "make",
    "query",
    "search",
    "the",
    "and",
    "for",
}
_REASONING_TOKENS = {"none": 0, "minimal": 8, "low": 32, "medium": 64, "high": 128, "xhigh": 192}


def tool_kind(tool: dict) -> str:
    t = tool.get("type", "")
    return "web_search" if t.startswith("web_search") else t


def is_reasoning_model(model: str) -> bool:
    return bool(re.match(r"^(o\d|gpt-5)", model or ""))


def default_effort(model: str) -> str | None:
    """Reasoning effort when the request does not set one (gpt-5.1+ default to "none")."""
    if not is_reasoning_model(model):
        return None
    return "none" if re.match(r"^gpt-5\.\d", model) else "medium"


def _wants(kind: str, tool: dict, prompt: str, choice: Any) -> bool:
    if choice == "required":
        return True
    if isinstance(choice, dict):
        ctype = choice.get("type", "")
        if ctype == "allowed_tools":  # {"mode": "required", "tools": [{"type": ...}]}
            allowed = {t.get("type") for t in choice.get("tools") or []}
            return choice.get("mode") == "required" and (kind in allowed or tool.get("type") in allowed)
        if ctype.startswith("web_search") and kind == "web_search":
            return True
        if ctype == kind and kind != "function":
            return kind != "mcp" or choice.get("server_label") in (None, tool.get("server_label"))
        if ctype == "function" and kind == "function":
            return choice.get("name") == tool.get("name")
        return False
    if choice == "none":
        return False
    if kind == "function":
        name = (tool.get("name") or "").lower()
        words = [w for w in re.split(r"[_\W]+", name) if len(w) > 2 and w not in _VERBS]
        low = prompt.lower()
        return bool(name) and (name in low or any(re.search(rf"\b{re.escape(w)}", low) for w in words))
    if kind == "mcp" and tool.get("server_label", "").lower() in prompt.lower():
        return True
    pattern = _TRIGGERS.get(kind)
    return bool(pattern and re.search(pattern, prompt, re.I))


def _query(prompt: str) -> str:
    q = re.sub(r"\b(please|search( the web)?( for)?|look up|can you|could you)\b", "", prompt, flags=re.I)
    q = " ".join(q.strip(" ?.!").split())
    return (q or prompt or "query")[:80]


def plan_reply(context: list[dict], request: dict, ids: Any, files: Any = None) -> Plan:
    """Plan the output of one response for ``context`` (already including the new input);
    ``files``: the uploads by id, so the answer can name the files a prompt refers to."""
    ctx = expand_compaction(context)
    include = set(request.get("include") or [])
    tools = [t for t in request.get("tools") or [] if isinstance(t, dict)]
    choice = request.get("tool_choice", "auto")
    users = [it for it in ctx if it.get("type", "message") == "message" and it.get("role") == "user"]
    prompt = item_text(users[-1]) if users else ""
    plan = Plan()
    last = context[-1] if context else {}

    if is_reasoning_model(request.get("model", "")):
        effort = (request.get("reasoning") or {}).get("effort") or default_effort(request.get("model", ""))
        plan.reasoning_tokens = _REASONING_TOKENS.get(effort or "", 64)
        if plan.reasoning_tokens:
            plan.items.append(_reasoning(request, include, prompt, ids))

    text: str | None = None
    annotations: list[dict] = []
    if last.get("type") == "mcp_approval_response":
        text = _approval_followup(context, last, ids, plan)
    elif last.get("type") == "function_call_output":
        name = next(
            (
                it.get("name")
                for it in context
                if it.get("type") == "function_call" and it.get("call_id") == last.get("call_id")
            ),
            "tool",
        )
        text = f"The `{name}` tool returned: {item_text(last)}"
    else:
        for tool in tools:
            kind = tool_kind(tool)
            text_for = prompt + (
                "\n" + request["instructions"]
                if kind == "web_search" and isinstance(request.get("instructions"), str)
                else ""
            )
            if not _wants(kind, tool, text_for, choice):
                continue
            if kind == "web_search":
                text, annotations = _web_search(tool, prompt, include, ids, plan)
            elif kind == "file_search":
                text, annotations = _file_search(tool, prompt, include, ids, plan)
            elif kind == "code_interpreter":
                text = _code(tool, prompt, include, ids, plan)
            elif kind == "mcp":
                text = _mcp(tool, prompt, context, ids, plan)
                if text is None:
                    return plan  # waiting for approval: no message
            elif kind == "function":
                plan.items.append(_function_call(tool, ids))
                return plan
            break
    if text is None:
        text = answer_text(
            ctx, request.get("instructions") if isinstance(request.get("instructions"), str) else None, files
        )
    fmt = (request.get("text") or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        text = json.dumps(schema_instance(fmt.get("schema") or {}), separators=(",", ":"))
        annotations = []
    elif fmt.get("type") == "json_object":
        text = json.dumps({"answer": text}, separators=(",", ":"))
        annotations = []
    plan.items.append(message_item(ids.new("msg"), text, annotations=annotations))
    return plan


def message_item(
    item_id: str,
    text: str,
    chunks: list[str] | None = None,
    annotations: list[dict] | None = None,
    refusal: bool = False,
) -> dict:
    part = (
        {"type": "refusal", "refusal": text}
        if refusal
        else {"type": "output_text", "annotations": annotations or [], "logprobs": [], "text": text}
    )
    return {
        "id": item_id,
        "type": "message",
        "status": "completed",
        "content": [part],
        "role": "assistant",
        "_chunks": chunks if chunks is not None else chunk_text(text),
    }


def _reasoning(request: dict, include: set, prompt: str, ids: Any) -> dict:
    item: dict = {"id": ids.new("rs"), "type": "reasoning", "summary": []}
    if (request.get("reasoning") or {}).get("summary"):
        topic = " ".join(prompt.split()[:8]) or "the request"
        item["summary"] = [
            {
                "type": "summary_text",
                "text": f"**Considering the request**\n\nThe user asked: {topic}. "
                "I will answer directly and keep it short.",
            }
        ]
    if "reasoning.encrypted_content" in include:
        item["encrypted_content"] = "gAAAAAB" + ids.new("enc", 64)[4:]
    return item


def _web_search(tool: dict, prompt: str, include: set, ids: Any, plan: Plan) -> tuple[str, list[dict]]:
    query = _query(prompt)
    url = "https://example.com/search?q=" + re.sub(r"\W+", "+", query).strip("+").lower()
    action: dict = {"type": "search", "query": query, "queries": [query]}
    if "web_search_call.action.sources" in include:
        action["sources"] = [{"type": "url", "url": url}]
    plan.items.append({"id": ids.new("ws"), "type": "web_search_call", "status": "completed", "action": action})
    lead = f'Here is what I found about "{query}": the top result covers it in detail. '
    link = f"([example.com]({url}))"
    ann = {
        "type": "url_citation",
        "start_index": len(lead),
        "end_index": len(lead) + len(link),
        "title": f"{query} - Example Source",
        "url": url,
    }
    return lead + link, [ann]


def _file_search(tool: dict, prompt: str, include: set, ids: Any, plan: Plan) -> tuple[str, list[dict]]:
    query = _query(prompt)
    stores = tool.get("vector_store_ids") or ["vs_fake"]
    file_id, filename = "file-fake" + ids.new("x", 12)[2:], "notes.txt"
    results = None
    if "file_search_call.results" in include:
        results = [
            {
                "attributes": {},
                "file_id": file_id,
                "filename": filename,
                "score": 0.9716,
                "text": f"Notes about {query}.",
                "vector_store_id": stores[0],
            }
        ]
    plan.items.append(
        {"id": ids.new("fs"), "type": "file_search_call", "status": "completed", "queries": [query], "results": results}
    )
    text = f"According to {filename}, your files mention {query}."
    ann = {"type": "file_citation", "file_id": file_id, "filename": filename, "index": len(text) - 1}
    return text, [ann]


def _code(tool: dict, prompt: str, include: set, ids: Any, plan: Plan) -> str:
    arith = find_arithmetic(prompt)
    if arith:
        code, logs = f"result = {arith[0].replace('^', '**')}\nprint(result)", arith[1]
    else:
        code, logs = f"print({_query(prompt)!r})", _query(prompt)
    container = tool.get("container")
    container_id = container if isinstance(container, str) else ids.new("cntr")
    outputs = [{"type": "logs", "logs": logs}] if "code_interpreter_call.outputs" in include else None
    plan.items.append(
        {
            "id": ids.new("ci"),
            "type": "code_interpreter_call",
            "status": "completed",
            "code": code,
            "container_id": container_id,
            "outputs": outputs,
        }
    )
    return f"I ran the code and the result is `{logs}`."


def _mcp_tool_names(tool: dict) -> list[str]:
    allowed = tool.get("allowed_tools")
    if isinstance(allowed, dict):
        allowed = allowed.get("tool_names")
    return list(allowed) if allowed else ["ask_question"]


def _needs_approval(tool: dict, name: str) -> bool:
    req = tool.get("require_approval", "always")
    if req in (None, "always"):
        return True
    if req == "never":
        return False
    if isinstance(req, dict):
        never = (req.get("never") or {}).get("tool_names") or []
        return name not in never
    return True


def _mcp(tool: dict, prompt: str, context: list[dict], ids: Any, plan: Plan) -> str | None:
    label = tool.get("server_label", "mcp")
    names = _mcp_tool_names(tool)
    if not any(it.get("type") == "mcp_list_tools" and it.get("server_label") == label for it in context):
        plan.items.append(
            {
                "id": ids.new("mcpl"),
                "type": "mcp_list_tools",
                "server_label": label,
                "tools": [
                    {
                        "name": n,
                        "description": f"Fake MCP tool {n}",
                        "annotations": {"read_only": False},
                        "input_schema": {
                            "type": "object",
                            "properties": {"question": {"type": "string"}},
                            "required": ["question"],
                            "additionalProperties": False,
                        },
                    }
                    for n in names
                ],
            }
        )
    arguments = json.dumps({"question": prompt[:200]}, separators=(",", ":"))
    if _needs_approval(tool, names[0]):
        plan.items.append(
            {
                "id": ids.new("mcpr"),
                "type": "mcp_approval_request",
                "arguments": arguments,
                "name": names[0],
                "server_label": label,
            }
        )
        return None
    return _mcp_call(label, names[0], arguments, None, ids, plan)


def _mcp_call(label: str, name: str, arguments: str, approval_id: str | None, ids: Any, plan: Plan) -> str:
    question = json.loads(arguments).get("question", "") if arguments else ""
    output = f"[{label}] {name} answered: {question}".strip()
    plan.items.append(
        {
            "id": ids.new("mcp"),
            "type": "mcp_call",
            "status": "completed",
            "approval_request_id": approval_id,
            "arguments": arguments,
            "error": None,
            "name": name,
            "output": output,
            "server_label": label,
        }
    )
    return f"The `{name}` tool on **{label}** returned: {output}"


def _approval_followup(context: list[dict], response: dict, ids: Any, plan: Plan) -> str:
    req_id = response.get("approval_request_id")
    request = next((it for it in context if it.get("type") == "mcp_approval_request" and it.get("id") == req_id), None)
    if request is None:
        return f"I could not find the approval request {req_id}."
    name, label = request.get("name", "tool"), request.get("server_label", "mcp")
    if not response.get("approve"):
        return f"I did not run `{name}` on {label} because the request was not approved."
    return _mcp_call(label, name, request.get("arguments", "{}"), req_id, ids, plan)


def _function_call(tool: dict, ids: Any) -> dict:
    args = schema_instance(tool.get("parameters") or {"type": "object", "properties": {}})
    return {
        "id": ids.new("fc"),
        "type": "function_call",
        "status": "completed",
        "arguments": json.dumps(args if args is not None else {}, separators=(",", ":")),
        "call_id": ids.new("call", 24),
        "name": tool.get("name", "function"),
    }
