"""Seeded fuzzing of the two parsers that read untrusted text: the SSE stream and the config file.

A seeded `random.Random` (no extra dependency) generates the inputs, so a failure names a seed
that reproduces it. The SSE garbage goes through the real SDK and termchat as a scripted raw
HTTP body: the run must end with exit 0 or a one-line error (exit 1), never an exception. The
config text must give a `Config` or a `ConfigError`, never another exception.
"""

from __future__ import annotations

import json
import random

import pytest

from termchat.config import Config, load_config
from termchat.errors import ConfigError
from termchat.fake_api import Reply

SSE_SEEDS = range(40)
CONFIG_SEEDS = range(400)

_TYPES = [
    "response.created",
    "response.in_progress",
    "response.output_text.delta",
    "response.output_text.done",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.output_text.annotation.added",
    "response.reasoning_summary_text.delta",
    "response.refusal.delta",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "error",
    "response.future.thing",
    "",
    None,
]


def _response(rng: random.Random, status: str) -> object:
    choice = rng.random()
    if choice < 0.6:
        return {
            "id": f"resp_{rng.randrange(99)}",
            "object": "response",
            "status": status,
            "model": "gpt-5.2",
            "created_at": 0,
            "output": rng.choice([[], [{"type": "message"}]]),
            "usage": rng.choice([None, {"input_tokens": 1, "output_tokens": 2}, {"input_tokens": "x"}]),
            "error": rng.choice([None, {"message": "bad"}, "weird"]),
            "incomplete_details": rng.choice([None, {"reason": "max_output_tokens"}, 7]),
        }
    return rng.choice([None, "resp", 5, [], {}, {"output": 5}, {"status": 3}])


def _value(rng: random.Random) -> object:
    return rng.choice(
        [
            None,
            0,
            -1,
            3.5,
            True,
            "",
            "text \x1b[31m",
            "\ufffd",
            [],
            {},
            [1, "a"],
            {"nested": {"x": 1}},
            "x" * rng.randrange(0, 200),
        ]
    )


def _event(rng: random.Random) -> bytes:
    kind = rng.choice(_TYPES)
    data: dict = {} if kind is None else {"type": kind}
    if rng.random() < 0.8:
        data["sequence_number"] = rng.choice([rng.randrange(50), "7", None])
    if kind and "delta" in kind:
        data.update(
            delta=rng.choice(["Hello ", "wörld ", "", 5, None, "\x1b]52;c;eA==\x07"]),
            item_id="msg_1",
            output_index=rng.choice([0, 99, -1]),
            content_index=0,
        )
    elif kind and kind.startswith("response.output_item"):
        data.update(
            output_index=0,
            item=rng.choice(
                [
                    {"type": "message", "id": "msg_1", "role": "assistant", "content": []},
                    {"type": "web_search_call", "id": "ws_1", "status": "completed"},
                    {"type": "mystery_call"},
                    {"id": 5},
                    "item",
                    None,
                    {},
                ]
            ),
        )
    elif kind and kind.startswith("response.") and rng.random() < 0.8:
        status = kind.split(".")[-1].replace("created", "in_progress")
        data["response"] = _response(rng, status)
    elif kind == "error":
        data.update(
            rng.choice(
                [
                    {"message": "boom", "code": "server_error"},
                    {"error": {"message": "nested boom", "type": "server_error"}},
                    {"message": 5},
                    {},
                ]
            )
        )
    elif kind == "response.output_text.annotation.added":
        data["annotation"] = rng.choice(
            [{"type": "url_citation", "url": "https://x", "title": "t"}, "note", None, {"type": "url_citation"}]
        )
    for _ in range(rng.randrange(3)):
        data[rng.choice(["delta", "item", "response", "annotation", "extra"])] = _value(rng)
    name = kind if kind and rng.random() < 0.7 else rng.choice(["", "message", "weird"])
    text = json.dumps(data)
    if rng.random() < 0.1:
        text = text[: rng.randrange(len(text) + 1)]  # truncated JSON
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {text}\n\n".encode()


def _garbage(rng: random.Random) -> bytes:
    return rng.choice(
        [
            b"data: [DONE]\n\n",
            b": keep-alive comment\n\n",
            b"retry: soon\n\n",
            b"data:\n\n",
            b"event: response.output_text.delta\n\n",
            b"no colon line\n\n",
            b"\r\n\r\n",
            b'data: {"type": "response.output_text.delta", "delta": "cr only"}\r\r',
            b"data: " + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))) + b"\n\n",
            bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))),
            b'id: 5\ndata: {"type": "error"}\n\n',
            b"data: null\n\n",
            b"data: 42\n\n",
            b'data: "string"\n\n',
            b"data: [1,2]\n\n",
        ]
    )


def sse_body(seed: int) -> bytes:
    rng = random.Random(seed)
    parts = []
    if rng.random() < 0.7:
        parts.append(
            b"event: response.created\ndata: "
            + json.dumps(
                {"type": "response.created", "sequence_number": 0, "response": _response(rng, "in_progress")}
            ).encode()
            + b"\n\n"
        )
    for _ in range(rng.randrange(1, 12)):
        parts.append(_event(rng) if rng.random() < 0.75 else _garbage(rng))
    return b"".join(parts)


def wire_body(seed: int) -> bytes:
    """Well-formed events mixed with framing garbage: bad JSON, stray bytes, odd SSE lines."""
    rng = random.Random(seed)
    created = {
        "type": "response.created",
        "sequence_number": 0,
        "response": {
            "id": "resp_1",
            "object": "response",
            "status": "in_progress",
            "model": "gpt-5.2",
            "created_at": 0,
            "output": [],
        },
    }
    parts = [b"event: response.created\ndata: " + json.dumps(created).encode() + b"\n\n"]
    for n in range(rng.randrange(1, 12)):
        if rng.random() < 0.5:
            delta = {
                "type": "response.output_text.delta",
                "sequence_number": n + 1,
                "item_id": "m",
                "output_index": 0,
                "content_index": 0,
                "delta": rng.choice(["a ", "b ", "ü "]),
            }
            parts.append(b"data: " + json.dumps(delta).encode() + b"\n\n")
        else:
            parts.append(_garbage(rng))
    if rng.random() < 0.3:
        done = dict(created, type="response.completed", sequence_number=99)
        done["response"] = dict(created["response"], status="completed")
        parts.append(b"data: " + json.dumps(done).encode() + b"\n\n")
    return b"".join(parts)


def _run_fuzzed(run, server, seed: int, body: bytes) -> str | None:
    """None if the run ended cleanly, else a description of what went wrong."""
    server.script(Reply.raw(200, body, content_type="text/event-stream"))
    try:
        result = run("--state", "local", "-p", "fuzz")
    except BaseException as exc:  # noqa: BLE001 - the point is: nothing may escape
        return f"seed {seed}: {type(exc).__name__}: {exc}"
    if result.code not in (0, 1) or "Traceback" in result.err or "\x1b" in result.out + result.err:
        return f"seed {seed}: exit {result.code}: {result.err[:200]!r}"
    if result.code == 1 and not (
        result.err.count("termchat: error: ") == 1 and result.err.splitlines()[-1].startswith("termchat: error: ")
    ):
        return f"seed {seed}: {result.err[:200]!r}"
    return None


def test_sse_framing_garbage_ends_cleanly(run, server):
    failures = [f for seed in SSE_SEEDS if (f := _run_fuzzed(run, server, seed, wire_body(seed)))]
    assert not failures, "\n".join(failures)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_sse_wrong_shaped_events_end_cleanly(run, server):
    failures = [f for seed in SSE_SEEDS if (f := _run_fuzzed(run, server, seed, sse_body(seed)))]
    assert not failures, f"{len(failures)} of {len(SSE_SEEDS)} seeds:\n" + "\n".join(failures)


# -- config ------------------------------------------------------------------------------------

_KEYS = [
    "model",
    "state",
    "instructions",
    "tools",
    "tool_choice",
    "theme",
    "base_url",
    "api_key",
    "unknown",
    "keymap",
    "compaction",
    "mcp_servers",
    "pricing",
    "enabled",
    "threshold",
    "label",
    "url",
    "headers_env",
    "allowed_tools",
    "require_approval",
    "models",
    "input",
    "output",
    "cached_input",
    "web_search",
    "code_interpreter",
    "send",
]
_TABLES = [
    "compaction",
    "keymap",
    "pricing",
    "pricing.models.gpt-5.2",
    "pricing.tools",
    "pricing.tools.code_interpreter",
    "mcp_servers",
    "model",
    "unknown",
    "pricing.models",
]


def _toml_value(rng: random.Random, depth: int = 0) -> str:
    choices = [
        '"gpt-5.2"',
        '"conversation"',
        '"local"',
        '""',
        "''",
        '"http://127.0.0.1:1/v1"',
        '"ftp://x"',
        '"MY_TOKEN"',
        '"sk-xyz"',
        "0",
        "1",
        "-3",
        "0.5",
        "2.0",
        "inf",
        "nan",
        "true",
        "false",
        "1979-05-27",
        "07:32:00",
        "1979-05-27T07:32:00Z",
        '"ctrl+j"',
        "99999999999999999999",
        '"\\u001b[2J"',
        '"""multi\nline"""',
        "0x1F",
        "1e400",
    ]
    if depth < 3 and rng.random() < 0.3:
        items = ", ".join(_toml_value(rng, depth + 1) for _ in range(rng.randrange(4)))
        return f"[{items}]"
    if depth < 3 and rng.random() < 0.2:
        items = ", ".join(f"{rng.choice(_KEYS)} = {_toml_value(rng, depth + 1)}" for _ in range(rng.randrange(3)))
        return "{" + items + "}"
    return rng.choice(choices)


def config_text(seed: int) -> str:
    rng = random.Random(seed)
    lines = []
    for _ in range(rng.randrange(1, 10)):
        roll = rng.random()
        if roll < 0.15:
            lines.append(f"[{rng.choice(_TABLES)}]")
        elif roll < 0.22:
            lines.append("[[mcp_servers]]")
        elif roll < 0.27:
            lines.append(
                rng.choice(
                    [
                        "= 5",
                        "key =",
                        "[",
                        "]]",
                        "a.b = 1",
                        "\x00",
                        '"q" = 1',
                        "x = 1 # c",
                        "\ufeffmodel = 'x'",
                        "model = 'a' 'b'",
                    ]
                )
            )
        else:
            lines.append(f"{rng.choice(_KEYS)} = {_toml_value(rng)}")
    return "\n".join(lines) + rng.choice(["\n", "", "\r\n"])


@pytest.mark.parametrize("chunk", range(4))
def test_config_loader_gives_config_or_config_error(tmp_path, chunk):
    path = tmp_path / "config.toml"
    outcomes = {"config": 0, "error": 0}
    per = len(CONFIG_SEEDS) // 4
    for seed in CONFIG_SEEDS[chunk * per : (chunk + 1) * per]:
        text = config_text(seed)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            config = load_config(path, env={})
        except ConfigError as exc:
            outcomes["error"] += 1
            assert "\n" not in exc.one_line() and str(path) in exc.one_line(), (seed, text)
        except BaseException as exc:  # noqa: BLE001
            pytest.fail(f"seed {seed}: {type(exc).__name__}: {exc}\nconfig:\n{text}")
        else:
            outcomes["config"] += 1
            assert isinstance(config, Config)
    assert outcomes["config"] and outcomes["error"]  # the generator reaches both outcomes
