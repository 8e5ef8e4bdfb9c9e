"""The deterministic fake model.

``plan_reply(context, request, ids)`` looks at the whole context (the stored
chain / conversation items plus the new input, with compaction items expanded)
and returns a :class:`Plan`: the output items to emit. Rules, in order:

* ``my <thing> is <value>`` statements are remembered; ``what is my <thing>?``
  answers ``Your <thing> is <value>.`` (e.g. "Your name is Ada.").
* ``remember ... code ...: XYZ`` then a question about "code" answers ``XYZ``.
* ``reply exactly: X`` / ``say exactly: X`` answers ``X``.
* simple arithmetic (``what is 2+2``) answers ``2 + 2 = 4.``
* a request for code, a table or a list gets one (:mod:`termchat.fake_api.showcase`).
* otherwise a short deterministic echo with a little Markdown, a few
  sentences long so streaming has many deltas.

``instructions`` mentioning "uppercase" make the reply upper-case. Hosted tools
and reasoning items are planned by :mod:`termchat.fake_api.tools`.
"""

from __future__ import annotations

import ast
import base64
import json
import operator
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .showcase import showcase_reply

COMPACTION_PREFIX = "gAAAAAB"


@dataclass
class Plan:
    """What one response will contain and how its stream behaves.

    ``items`` are complete output items (dicts in wire shape). A message item
    may carry ``"_chunks"`` (list of text deltas for its first content part);
    other private ``_`` keys are stripped before anything is sent.
    """

    items: list[dict] = field(default_factory=list)
    reasoning_tokens: int = 0
    cut_tokens: int | None = None  # force an incomplete cut after N output tokens
    incomplete_reason: str = "max_output_tokens"
    # stream faults (applied by the server while writing the stream)
    drop_after: int | None = None  # close the stream after N delta events
    drop_clean: bool = False  # True: end chunked body properly; False: abort
    error: dict | None = None  # {"message","code","type","param"} -> error + failed
    error_after: int = 0  # ... after N delta events
    error_nested: bool = True  # nested {"type":"error","error":{...}} vs flat form
    error_failed: bool = True  # follow the error event with response.failed
    inject: list[tuple[int, Any]] = field(default_factory=list)  # (after N deltas, dict|bytes)
    close_after_inject: bool = False  # malformed SSE: close right after the raw bytes
    delay: float | None = None  # seconds per delta event
    hold_after: int | None = None  # stop streaming after N delta events ...
    release: Any = None  # ... until this threading.Event is set
    obfuscation: bool | None = None
    hold: Any = None  # a threading.Event: answer only once it is set
    # (after N deltas, reached, release): set `reached`, then wait for `release` (at most 60 s)
    pause: tuple[int, Any, Any] | None = None


# --------------------------------------------------------------------------- text helpers


def chunk_text(text: str) -> list[str]:
    """Split into word-ish deltas (``"Hello"``, ``" there"``, ``"."``…); joins back exactly."""
    parts = re.findall(r"\s*[\w'’-]+|\s*[^\w\s]+|\s+", text)
    return parts or ([text] if text else [])


def content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    out = []
    for part in content or []:
        if isinstance(part, dict):
            text = part.get("text") if part.get("text") is not None else part.get("refusal")
            if isinstance(text, str):
                out.append(text)
    return "".join(out)


def item_text(item: dict) -> str:
    if item.get("type", "message") == "message":
        return content_text(item.get("content"))
    if item.get("type") == "function_call_output":
        out = item.get("output")
        return out if isinstance(out, str) else content_text(out)
    return ""


# --------------------------------------------------------------------------- compaction blobs


def encode_compaction(items: list[dict]) -> str:
    """Opaque (but decodable) compaction content: the compacted window's messages."""
    kept = []
    for it in expand_compaction(items):
        if it.get("type", "message") == "message":
            kept.append({"role": it.get("role", "user"), "text": item_text(it)})
    raw = json.dumps({"v": 1, "messages": kept}, separators=(",", ":")).encode()
    return COMPACTION_PREFIX + base64.urlsafe_b64encode(zlib.compress(raw)).decode()


def decode_compaction(blob: str) -> list[dict]:
    """Messages encoded in a compaction item ([] if the blob is not ours)."""
    if not isinstance(blob, str) or not blob.startswith(COMPACTION_PREFIX):
        return []
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(blob[len(COMPACTION_PREFIX) :]))
        data = json.loads(raw)
    except (ValueError, zlib.error):
        return []
    return [
        {
            "type": "message",
            "role": m.get("role", "user"),
            "_compacted": True,
            "content": [
                {"type": "input_text" if m.get("role") == "user" else "output_text", "text": m.get("text", "")}
            ],
        }
        for m in data.get("messages", [])
    ]


def expand_compaction(items: list[dict]) -> list[dict]:
    """Replace compaction items by the messages they encode. User messages that the
    compacted window also kept verbatim are not duplicated."""
    if not any(it.get("type") == "compaction" for it in items):
        return list(items)
    verbatim = {item_text(it) for it in items if it.get("type", "message") == "message" and it.get("role") == "user"}
    out: list[dict] = []
    for it in items:
        if it.get("type") == "compaction":
            out.extend(
                m
                for m in decode_compaction(it.get("encrypted_content", ""))
                if not (m["role"] == "user" and item_text(m) in verbatim)
            )
        else:
            out.append(it)
    return out


# --------------------------------------------------------------------------- arithmetic

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv,
}


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _eval(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("too big")
        return _OPS[type(node.op)](left, right)
    raise ValueError("unsupported")


def find_arithmetic(text: str) -> tuple[str, str] | None:
    """``(expression, result)`` for the first simple arithmetic expression in ``text``."""
    for m in re.finditer(r"[-(\d][\d\s.+\-*/%()^]*[\d)]", text):
        expr = m.group(0).strip().replace("^", "**")
        if not re.search(r"\d\s*[-+*/%]+\s*[\d(]", expr):
            continue
        try:
            value = _eval(ast.parse(expr, mode="eval"))
        except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, float):
            value = round(value, 6)
        pretty = re.sub(r"(?<=[\d)])\s*(\*\*|[-+*/%])\s*", r" \1 ", expr)
        return pretty.replace("**", "^"), str(value)
    return None


# --------------------------------------------------------------------------- facts & answers

_FACT = re.compile(r"\bmy\s+(name|favou?rite\s+\w+|[a-z]+)\s+is\s+([^.,;!?\n]+)", re.I)
_QUESTION = re.compile(
    r"\b(?:what(?:'s|’s| is| was)|do you (?:know|remember)|tell me|who(?:'s| is))\s+my\s+"
    r"(name|favou?rite\s+\w+|[a-z]+)",
    re.I,
)
_CODE = re.compile(r"\bremember\b.*?\bcode\b[^:]*:\s*([A-Za-z0-9][\w-]*)", re.I | re.S)
_EXACT = re.compile(r"\b(?:reply|say|answer|respond)\s+(?:with\s+)?exactly\s*:?\s*(.+)", re.I | re.S)


def _clean_value(key: str, value: str) -> str:
    words = value.strip().split()
    if key == "name":
        words = words[:1]
        if words and words[0].lower() in {"a", "an", "the", "not"}:
            return ""
    return " ".join(words[:4]).strip("\"'")


def remembered(user_texts: list[str]) -> tuple[dict[str, str], str | None]:
    facts: dict[str, str] = {}
    code = None
    for text in user_texts:
        for m in _FACT.finditer(text):
            key = re.sub(r"\s+", " ", m.group(1).lower()).replace("favourite", "favorite")
            if _QUESTION.search(text[max(0, m.start() - 12) : m.end()]):
                continue
            value = _clean_value(key, m.group(2))
            if value:
                facts[key] = value
        cm = _CODE.search(text)
        if cm:
            code = cm.group(1)
    return facts, code


def answer_text(context: list[dict], instructions: str | None = None, files: Mapping[str, Any] | None = None) -> str:
    """The deterministic text answer for the last user message in ``context``; ``files``
    (uploads by id) lets it name the files that message refers to."""
    messages = [it for it in context if it.get("type", "message") == "message"]
    user_items = [m for m in messages if m.get("role") == "user"]
    users = [item_text(m) for m in user_items]
    prompt = prompt_text(user_items[-1]).strip() if user_items else ""
    facts, code = remembered(users[:-1])
    new_facts, _ = remembered([prompt])
    text = _answer(prompt, facts, code, new_facts, len(users))
    notes = attachment_notes(user_items[-1], files or {}) if user_items else ""
    if notes:
        text = f"{text}\n\n{notes}"
    if instructions and re.search(r"upper\s*-?case|capital letters|all caps", instructions, re.I):
        text = text.upper()
    return text


# --------------------------------------------------------------------------- attachments


def _extra_parts(item: dict) -> list[dict]:
    """A message's parts after its first text part (its attachments), if it has any."""
    content = item.get("content")
    if not isinstance(content, list):
        return []
    parts = [p for p in content if isinstance(p, dict)]
    first_text = next((i for i, p in enumerate(parts) if p.get("type") == "input_text"), None)
    return [p for i, p in enumerate(parts) if i != first_text]


def prompt_text(item: dict) -> str:
    """What the user typed: the first text part of a message that also carries attachments."""
    if not _extra_parts(item):
        return item_text(item)
    content = item.get("content") or []
    return next((p.get("text") or "" for p in content if isinstance(p, dict) and p.get("type") == "input_text"), "")


def _data_url_size(url: str) -> tuple[str, int]:
    head, _, data = url.partition(",")
    mime = head[5:].split(";")[0] or "?"
    return mime, len(data) * 3 // 4 - data[-2:].count("=")


def _describe(part: dict, files: Mapping[str, Any]) -> str:
    kind = part.get("type")
    file_id = part.get("file_id")
    known = files.get(file_id) if isinstance(file_id, str) else None
    upload = f' "{known.filename}" ({known.purpose}, {len(known.data)} bytes)' if known is not None else ""
    if kind == "input_text":
        text = part.get("text") or ""
        first = text.split("\n", 1)[0][:60]
        return f'text "{first}" ({len(text)} chars)'
    if kind == "input_image":
        url = part.get("image_url")
        if file_id:
            return f"image {file_id}{upload}"
        if isinstance(url, str) and url.startswith("data:"):
            mime, size = _data_url_size(url)
            return f"image inline {mime} ({size} bytes)"
        return f"image {url}"
    if kind == "input_file":
        if file_id:
            return f"file {file_id}{upload}"
        name = part.get("filename") or "unnamed"
        if isinstance(part.get("file_data"), str):
            mime, size = _data_url_size(part["file_data"])
            return f'file "{name}" inline {mime} ({size} bytes)'
        return f"file {part.get('file_url') or name}"
    return f"{kind} part"


def attachment_notes(item: dict, files: Mapping[str, Any]) -> str:
    """One line per part that came with the prompt (text, image, file), in order."""
    extra = _extra_parts(item)
    if not extra:
        return ""
    noun = "attachment" if len(extra) == 1 else "attachments"
    return "\n".join([f"I received {len(extra)} {noun}:", *(f"- {_describe(p, files)}" for p in extra)])


def _answer(prompt: str, facts: dict, code: str | None, new_facts: dict, turn: int) -> str:
    exact = _EXACT.search(prompt)
    if exact:
        return exact.group(1).strip()
    q = _QUESTION.search(prompt)
    if q:
        key = re.sub(r"\s+", " ", q.group(1).lower()).replace("favourite", "favorite")
        if key in facts:
            return f"Your {key} is {facts[key]}."
        return f"I don't know your {key} yet. You haven't told me in this conversation."
    if code and re.search(r"\bcode\b", prompt, re.I) and "?" in prompt:
        return code
    if new_facts:
        key, value = next(iter(new_facts.items()))
        if key == "name":
            return f"Nice to meet you, **{value}**! I'll remember that your name is {value}."
        return f"Got it: your {key} is **{value}**. I'll remember that."
    if _CODE.search(prompt):
        return "stored"
    arith = find_arithmetic(prompt)
    if arith:
        return f"{arith[0]} = {arith[1]}."
    showcase = showcase_reply(prompt)
    if showcase is not None:
        return showcase
    short = " ".join(prompt.split())
    if len(short) > 80:
        short = short[:77].rstrip() + "..."
    if not short:
        return "Hello! I am the **termchat fake model**. Ask me anything."
    return (
        f'You said: "{short}".\n\nThis is a **deterministic** reply from the termchat '
        f"fake model (turn {turn}). It echoes your message in a few sentences "
        "so that streaming shows several deltas."
    )


# --------------------------------------------------------------------------- json schema


def schema_instance(schema: dict, root: dict | None = None, name: str = "value", depth: int = 0) -> Any:
    """A deterministic instance that validates against a (strict-mode style) JSON schema."""
    root = root if root is not None else schema
    if depth > 12 or not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        ref = schema["$ref"]
        target: Any = root
        for part in ref.lstrip("#/").split("/"):
            target = target.get(part, {}) if part else target
        return schema_instance(target, root, name, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return schema_instance(options[0], root, name, depth + 1)
    typ = schema.get("type")
    if isinstance(typ, list):
        typ = next((t for t in typ if t != "null"), "null")
    if typ is None:
        typ = "object" if "properties" in schema else "string"
    if typ == "object":
        props = schema.get("properties", {})
        return {k: schema_instance(v, root, k, depth + 1) for k, v in props.items()}
    if typ == "array":
        n = max(1, int(schema.get("minItems", 1)))
        return [schema_instance(schema.get("items", {}), root, name, depth + 1) for _ in range(n)]
    if typ == "integer":
        return int(schema.get("minimum", 1) if schema.get("minimum", 1) > 1 else 1)
    if typ == "number":
        return float(schema.get("minimum", 1.5) if schema.get("minimum", 1.5) > 1.5 else 1.5)
    if typ == "boolean":
        return True
    if typ == "null":
        return None
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2025-01-01T00:00:00Z"
    if fmt == "date":
        return "2025-01-01"
    if fmt == "email":
        return "ada@example.com"
    if fmt in ("uri", "url"):
        return "https://example.com/"
    return f"example {name.replace('_', ' ')}"
