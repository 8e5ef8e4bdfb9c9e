"""termchat against OpenAI's gpt-oss reference Responses server (a real third-party peer).

Slow (about 4 s a reply, ~50 s first set-up), so it runs only with TERMCHAT_PEER_TESTS=1:

    TERMCHAT_PEER_TESTS=1 .venv/bin/python -m pytest tests/test_peer_gptoss.py

The start script is found beside the clone (`../shared/peers/gptoss/start-server`, or beside a
folder further up), or at TERMCHAT_PEER_START.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(
        os.environ.get("TERMCHAT_PEER_TESTS") != "1", reason="peer tests are opt-in: set TERMCHAT_PEER_TESTS=1"
    ),
]

PEER_SCRIPT = Path("shared") / "peers" / "gptoss" / "start-server"


def _start_script() -> Path:
    """The peer's start script: TERMCHAT_PEER_START, else `shared/peers/...` beside the clone or
    beside any folder above it (a git worktree sits deeper than the main clone)."""
    if os.environ.get("TERMCHAT_PEER_START"):
        return Path(os.environ["TERMCHAT_PEER_START"])
    for folder in Path(__file__).resolve().parents[1:]:
        if (folder / PEER_SCRIPT).exists():
            return folder / PEER_SCRIPT
    return Path(__file__).resolve().parents[2] / PEER_SCRIPT


START = _start_script()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    if not START.exists():
        pytest.skip(f"peer script not found at {START}")
    port = _free_port()
    pidfile = tmp_path_factory.mktemp("peer") / "pid"
    started = subprocess.run(["bash", str(START), str(port), str(pidfile)], capture_output=True, text=True, timeout=300)
    if started.returncode != 0:
        pytest.skip(f"gpt-oss server did not start: {started.stderr.strip()[-200:]}")
    yield f"http://127.0.0.1:{port}/v1"
    os.kill(int(pidfile.read_text()), 15)


def _run(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "termchat", *args],
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path, peer):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_"))}
    env.update(TERMCHAT_DATA_DIR=str(tmp_path / "data"), TERMCHAT_CONFIG=str(tmp_path / "c.toml"), OPENAI_BASE_URL=peer)
    return env


def test_conversation_mode_falls_back_to_local_and_continues(env):
    first = _run(env, "-p", "hi")
    assert first.returncode == 0, first.stderr
    assert "2 + 2 = 4" in first.stdout and "no Conversations API" in first.stderr
    second = _run(env, "-c", "-p", "again")
    assert second.returncode == 0, second.stderr
    chats = json.loads(_run(env, "list", "--json").stdout)
    assert len(chats) == 1 and chats[0]["mode"] == "local"


def test_chain_mode_streams_with_odd_output_indexes(env):
    assert _run(env, "--state", "chain", "-p", "one").returncode == 0
    second = _run(env, "-c", "--json", "-p", "two")
    assert second.returncode == 0, second.stderr
    events = [json.loads(line) for line in second.stdout.splitlines()]
    assert events[-1]["type"] == "finished" and "2 + 2 = 4" in events[-1]["text"]


def test_background_runs_synchronously_and_is_filed(env):
    result = _run(env, "--state", "local", "--background", "-p", "bg")
    assert result.returncode == 0, result.stderr
    conv = json.loads(_run(env, "list", "--json").stdout)[0]["id"]
    messages = json.loads(_run(env, "export", conv, "--format", "json").stdout)["messages"]
    assert messages[1]["status"] == "complete" and "2 + 2 = 4" in messages[1]["content"]
