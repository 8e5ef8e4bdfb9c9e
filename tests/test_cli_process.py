"""termchat as a real process: pipes, signals, a closed stdout, two writers on one store."""

from __future__ import annotations

import json
import os
import platform
import pty
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from termchat.fake_api import FakeAPI, Reply

HANG = 300  # seconds: a deadline that only stops a hung process, never a slow one


@pytest.fixture
def server():
    api = FakeAPI()
    api.start()
    yield api
    api.stop()


@pytest.fixture
def env(tmp_path, server):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_"))}
    env.update(
        TERMCHAT_DATA_DIR=str(tmp_path / "data"),
        TERMCHAT_CONFIG=str(tmp_path / "config.toml"),
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY="sk-test-process-key",
    )
    return env


def termchat(*args: str) -> list[str]:
    return [sys.executable, "-m", "termchat", *args]


def _chats(env):
    out = subprocess.run(termchat("list", "--json"), env=env, capture_output=True, text=True, timeout=HANG)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _messages(env, conv_id):
    out = subprocess.run(
        termchat("export", conv_id, "--format", "json"), env=env, capture_output=True, text=True, timeout=HANG
    )
    return json.loads(out.stdout)["messages"]


def test_pipe_in_and_out_without_a_tty(env, server):
    proc = subprocess.run(
        termchat("-p", "Summarise:"), input="alpha\nbeta\n", env=env, capture_output=True, text=True, timeout=HANG
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() and "\x1b" not in proc.stdout
    assert proc.stderr == ""  # status lines only when stderr is a terminal
    assert server.requests[-1].body["input"][-1]["content"] == "Summarise:\n\nalpha\nbeta\n"


_READ_SYSCALL = {"x86_64": "0", "aarch64": "63"}.get(platform.machine())  # read(2), as /proc shows it


def _wait_until_reading_stdin(proc) -> bool:
    """True once `proc` is blocked in read(0, ...) (the kernel says so), False if it exits first."""
    deadline = time.monotonic() + 60
    while proc.poll() is None:
        with open(f"/proc/{proc.pid}/syscall") as handle:
            fields = handle.read().split()
        if fields[:2] == [_READ_SYSCALL, "0x0"]:  # read(fd 0, ...)
            return True
        assert time.monotonic() < deadline, "termchat neither read stdin nor exited"
        time.sleep(0.01)
    return False


@pytest.mark.skipif(
    _READ_SYSCALL is None or not os.path.exists("/proc/self/syscall"),
    reason="needs Linux /proc/PID/syscall to see a process wait on stdin",
)
def test_late_stdin_is_read_to_the_end(env, server):
    # `(sleep 2; echo "the data is 42") | termchat -p summarise`: stdin is not a terminal, so
    # termchat reads it to EOF however late it comes, as a Unix filter does.
    proc = subprocess.Popen(
        termchat("--state", "local", "-p", "summarise"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        waiting = _wait_until_reading_stdin(proc)
        if waiting:
            proc.stdin.write("the data is 42\n")
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert waiting, f"termchat gave up on stdin and sent the prompt without it: {err}"
    assert proc.returncode == 0, err
    assert server.requests[-1].body["input"][-1]["content"] == "summarise\n\nthe data is 42\n"


def _read_pty(fd: int, until: bytes | None = None) -> bytes:
    """What the terminal shows, up to `until` (or to the end: the child exited)."""
    data = b""
    deadline = time.monotonic() + 60
    while until is None or until not in data:
        assert time.monotonic() < deadline, f"no {until!r} on the terminal: {data!r}"
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            assert until is None, f"the terminal closed before {until!r}: {data!r}"
            break
        data += chunk
    return data


def _on_a_terminal(env, *argv: str, talk=lambda fd: b"", stdin: int | None = None) -> tuple[int, bytes]:
    """Run termchat with a pty as its terminal; `talk(fd)` reads and writes it before the rest
    is read to the end. Returns (exit code, what the terminal showed). The child is always reaped."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: termchat on a real terminal, SIGINT as a shell leaves it
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            if stdin is not None:
                os.dup2(stdin, 0)
            os.execve(sys.executable, termchat(*argv), env)
        finally:
            os._exit(127)
    status = None
    try:
        shown = talk(fd)
        shown += _read_pty(fd)
        _, status = os.waitpid(pid, 0)
    finally:
        if status is None:  # the test failed half-way: do not leave termchat waiting
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown


@pytest.mark.parametrize("answer,approved", [(b"y", True), (b"n", False)])
def test_mcp_approval_is_asked_on_the_terminal(env, server, tmp_path, answer, approved):
    (tmp_path / "config.toml").write_text(
        '[[mcp_servers]]\nlabel = "deepwiki"\nurl = "https://mcp.example.test/mcp"\nrequire_approval = "always"\n'
    )

    def talk(fd: int) -> bytes:
        shown = _read_pty(fd, b"Allow? [y/N] ")
        os.write(fd, answer + b"\n")
        return shown

    code, shown = _on_a_terminal(env, "--state", "chain", "--tool", "mcp:deepwiki", "-p", "use the mcp tool", talk=talk)
    assert code == 0, shown
    assert b"MCP server 'deepwiki' wants to run" in shown
    reply = server.requests_to("responses")[-1].body["input"][0]
    assert reply["type"] == "mcp_approval_response" and reply["approve"] is approved
    assert (b": approved" if approved else b": denied") in shown


def test_a_silent_stdin_is_explained_on_a_terminal(env, server):
    read_end, write_end = os.pipe()  # stdin: a pipe that stays open and silent; stderr: a terminal
    writer = os.fdopen(write_end, "wb")

    def talk(fd: int) -> bytes:
        os.close(read_end)
        shown = _read_pty(fd, b"termchat: reading stdin until it ends (add </dev/null to send only -p TEXT)")
        writer.write(b"the data is 42\n")
        writer.close()  # the end of stdin
        return shown

    try:
        code, shown = _on_a_terminal(env, "--state", "local", "-p", "summarise", talk=talk, stdin=read_end)
    finally:
        writer.close()
    assert code == 0, shown
    assert server.requests[-1].body["input"][-1]["content"] == "summarise\n\nthe data is 42\n"


def _as_a_plain_user() -> None:
    """preexec_fn: file permissions apply to the child even when the tests run as root.

    Dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set (prctl
    PR_CAPBSET_DROP) takes them from the program exec'd next; a non-root user has neither.
    """
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            os._exit(99)  # the probe in the test sees this and skips


def _permissions_apply(path) -> bool:
    probe_file = str(path / "probe")
    code = f"import os; os.listdir({str(path)!r}); open({probe_file!r}, 'w'); os.remove({probe_file!r})"
    probe = subprocess.run([sys.executable, "-c", code], preexec_fn=_as_a_plain_user, capture_output=True)
    return probe.returncode == 1 and b"PermissionError" in probe.stderr


@pytest.mark.parametrize("mode,files", [(0o000, False), (0o500, False), (0o000, True)])
def test_data_dir_that_cannot_be_used_is_one_line(env, server, tmp_path, mode, files):
    data = tmp_path / "data"
    if files:
        ok = subprocess.run(
            termchat("--state", "local", "-p", "hi"), env=env, stdin=subprocess.DEVNULL, capture_output=True
        )
        assert ok.returncode == 0, ok.stderr
    else:
        data.mkdir()
    data.chmod(mode)
    try:
        if not _permissions_apply(data):
            pytest.skip("cannot run a process that file permissions apply to")
        for argv in (["-p", "hi"], ["list"], ["list", "--json"], ["show", "tc_x"], ["-c", "-p", "again"]):
            proc = subprocess.run(
                termchat(*argv),
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
                preexec_fn=_as_a_plain_user,
            )
            assert proc.returncode == 2, (argv, proc.stderr)
            assert proc.stderr.startswith(f"termchat: error: cannot use the data dir {data}: Permission denied")
            assert proc.stderr.count("\n") == 1, proc.stderr
    finally:
        data.chmod(0o700)
    assert not files or _chats(env)[0]["title"] == "hi"  # nothing lost


def test_argument_bytes_that_are_not_utf8(env, server):
    proc = subprocess.run(
        [os.fsencode(a) for a in termchat("-p")] + [b"\xe9\xff"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        b"termchat: error: -p is not valid UTF-8 text (check the shell's or the terminal's encoding)\n"
    )


@pytest.mark.skipif(shutil.which("jq") is None, reason="needs jq")
def test_readme_jq_example_prints_the_reply(env, server):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (line,) = [line for line in readme.splitlines() if line.startswith("termchat --json") and "| jq" in line]
    pipeline = line.split("  #")[0].replace("termchat", " ".join(termchat()), 1)
    shown = subprocess.run(
        pipeline.replace(" |", " </dev/null |", 1), shell=True, env=env, capture_output=True, text=True, timeout=60
    )
    plain = subprocess.run(
        termchat("-p", "hi"), env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0 and plain.returncode == 0, shown.stderr + plain.stderr
    assert "\n\n" in plain.stdout  # the reply has paragraphs; the example keeps them, and no more
    assert shown.stdout.rstrip("\n") == plain.stdout.rstrip("\n")


def test_ctrl_c_on_a_terminal_puts_the_note_on_its_own_line(env, server):
    server.script(Reply.text("word " * 400, delay=0.02))

    def talk(fd: int) -> bytes:
        shown = _read_pty(fd, b"word word")
        os.write(fd, b"\x03")  # Ctrl+C, as the terminal delivers it
        return shown

    code, shown = _on_a_terminal(env, "--state", "local", "-p", "long please", talk=talk)
    assert code == 130, shown
    lines = shown.replace(b"\r", b"").replace(b"^C", b"").split(b"\n")
    assert b"termchat: error: interrupted; the partial reply was saved" in lines, shown


def test_the_app_with_a_data_dir_it_cannot_use_is_one_line(env, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    env = {**env, "TERMCHAT_DATA_DIR": str(tmp_path / "a-file" / "data")}
    code, shown = _on_a_terminal(env)
    assert code == 2, shown
    assert shown.endswith(b"a-file is not a directory\r\n") and shown.count(b"\n") == 1, shown


def test_closed_stdout_ends_quietly(env, server):
    server.script(Reply.text("line one\nline two\nline three\n" * 200, delay=0.001))
    proc = subprocess.run(
        f"{' '.join(termchat('--state', 'local', '-p', 'lines'))} </dev/null | head -1",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    assert proc.stdout == "line one\n"
    assert proc.stderr == ""


def test_ctrl_c_exits_130_and_keeps_the_partial_reply(env, server):
    server.script(Reply.text("word " * 400, hold_after=20))  # still streaming when Ctrl-C comes
    proc = subprocess.Popen(
        termchat("--state", "local", "-p", "long please"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    _wait_for_output(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=HANG)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    conv_id = _chats(env)[0]["id"]
    messages = _messages(env, conv_id)
    assert messages[0]["content"] == "long please"
    assert messages[1]["status"] == "interrupted" and messages[1]["content"].startswith("word")


def _wait_for_output(proc):
    """Block until termchat writes its first byte to stdout (the deadline only stops a hang)."""
    ready, _, _ = select.select([proc.stdout], [], [], 300)
    assert ready and proc.stdout.read(1), "no output from termchat"


def _wait_for_saved_reply(db_path, deadline_s: float = 300):
    """Wait until the streaming reply has been saved with some text (the periodic save)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if db_path.exists():
            db = sqlite3.connect(db_path, timeout=30)
            try:
                row = db.execute(
                    "SELECT count(*) FROM messages WHERE role = 'assistant' AND status = 'streaming' AND content != ''"
                ).fetchone()
            except sqlite3.OperationalError:  # not created yet
                row = (0,)
            finally:
                db.close()
            if row[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the streaming reply was never saved")


def test_sigkill_mid_stream_leaves_a_clean_store(env, server, tmp_path):
    server.script(Reply.text("first answer"))
    assert (
        subprocess.run(
            termchat("--state", "local", "-p", "one"),
            env=env,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=HANG,
        ).returncode
        == 0
    )
    # Deltas keep coming (so periodic saves happen), and the reply never ends by itself.
    server.script(Reply.text("word " * 4000, delay=0.01, hold_after=3000))
    proc = subprocess.Popen(
        termchat("-c", "-p", "two"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    _wait_for_output(proc)
    _wait_for_saved_reply(tmp_path / "data" / "termchat.db")
    proc.kill()
    proc.wait(timeout=HANG)
    db = sqlite3.connect(tmp_path / "data" / "termchat.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conv_id = _chats(env)[0]["id"]
    messages = _messages(env, conv_id)
    assert [m["content"] for m in messages[:3]] == ["one", "first answer", "two"]
    assert messages[3]["status"] == "interrupted" and messages[3]["content"].startswith("word")


def test_two_processes_on_one_store_lose_nothing(env, server):
    procs = []
    for name in ("a", "b"):  # (the deadline only stops a hang: 8 runs take ~1 min on a busy machine)
        script = (
            f"for i in $(seq 1 4); do {sys.executable} -m termchat --state local "
            f"-p {name}-$i </dev/null >/dev/null || exit 1; done"
        )
        procs.append(subprocess.Popen(script, shell=True, env=env, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert "locked" not in err
    chats = _chats(env)
    assert len(chats) == 8
    assert sorted(c["title"] for c in chats) == sorted(f"{n}-{i}" for n in "ab" for i in range(1, 5))


def test_demo_needs_no_key_and_leaves_no_trace(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_"))}
    env.update(TERMCHAT_DATA_DIR=str(tmp_path / "real-data"), TERMCHAT_CONFIG=str(tmp_path / "c.toml"))
    first = subprocess.run(
        termchat("--demo", "-p", "Hello, my name is Ada."),
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG,
        stdin=subprocess.DEVNULL,
    )
    assert first.returncode == 0, first.stderr
    assert "Ada" in first.stdout
    listed = subprocess.run(termchat("--demo", "list", "--json"), env=env, capture_output=True, text=True, timeout=HANG)
    titles = [c["title"] for c in json.loads(listed.stdout)]
    assert "Welcome to termchat" in titles  # the demo's own sample chats
    assert not (tmp_path / "real-data").exists()  # the user's store is never touched
