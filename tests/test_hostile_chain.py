"""Two processes continuing one chain-mode chat take turns (issue 15).

In chain mode each turn continues from the chat's last response id. Two `termchat -c` at once
used to continue from the same response, so later turns lost one of the two prompts. The
second process now waits for the first turn to finish, and continues from its response.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from termchat.fake_api import Reply

from conftest import CLI_API_KEY, listing


@pytest.fixture
def proc_env(env, server):
    child = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_"))}
    child.update(
        TERMCHAT_DATA_DIR=str(env / "data"),
        TERMCHAT_CONFIG=str(env / "config.toml"),
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY=CLI_API_KEY,
    )
    return child


def termchat(*args: str) -> list[str]:
    return [sys.executable, "-m", "termchat", *args]


def test_two_processes_on_one_chain_chat_take_turns(run, server, proc_env):
    assert run("--state", "chain", "-p", "first").code == 0
    reached, release = threading.Event(), threading.Event()
    server.script(Reply.paused(release, reached, after_deltas=1))
    first = subprocess.Popen(
        termchat("-c", "-p", "from A"), env=proc_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    second = None
    try:
        assert reached.wait(30), "A's turn never started"
        second = subprocess.Popen(
            termchat("-c", "-p", "from B"), env=proc_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        notes = []
        while not notes or "waiting for" not in notes[-1]:  # B says it waits (it used to run on)
            notes.append(second.stderr.readline())
            if not notes[-1]:
                break
        assert "waiting for the other termchat to finish its turn" in notes[-1], notes
    finally:
        release.set()
        out_a, err_a = first.communicate(timeout=60)
        if second is not None:
            out_b, err_b = second.communicate(timeout=60)
    assert first.returncode == 0, err_a
    assert second.returncode == 0, err_b
    conv_id = listing(run)[0]["id"]
    rows = json.loads(run("export", conv_id, "--format", "json").out)["messages"]
    replies = {
        rows[i - 1]["content"]: rows[i]["response_id"] for i in range(1, len(rows)) if rows[i]["role"] == "assistant"
    }
    requests = {
        r.body["input"][0]["content"]: r.body.get("previous_response_id")
        for r in server.requests
        if r.method == "POST" and r.path == "/v1/responses"
    }
    assert requests["from A"] == replies["first"]
    assert requests["from B"] == replies["from A"]  # B continued from A's turn, not beside it
