"""Background jobs in the app: followed from start-up, shown in their chat and the chat list,
announced when they end, never waited for on quit. Jobs run on the fake API's clock (queued 5 s,
then in progress 10 s); tests move that clock."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest

from termchat import events as ev
from termchat.fake_api import FakeAPI, FakeClock, Reply
from termchat.tui.app import TermchatApp

from conftest import TUI_NOW

SIZE = (120, 40)
REPLY = "The report is done: three findings, one risk."
SAFETY = 60.0  # seconds; a safety net for a hung app or process, never a timing assert
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def tui_api(clock):
    """Overrides conftest's `tui_api`: jobs progress only when a test moves `clock`."""
    api = FakeAPI(clock=clock, job_seconds=(5, 10))
    api.start()
    yield api
    api.stop()


def make_app(ctx, **kwargs) -> TermchatApp:
    app = TermchatApp(ctx, now=lambda: TUI_NOW, **kwargs)
    app.rung: list[int] = []
    app.bell = lambda: app.rung.append(1)  # the terminal bell, counted
    app.notes: list[str] = []
    notify = app.notify

    def recorded(message, **kwargs):
        app.notes.append(str(message))
        return notify(message, **kwargs)

    app.notify = recorded
    return app


async def wait_for(pilot, predicate) -> None:
    """Let the app run until `predicate()` holds (bounded by SAFETY; no fixed sleeps)."""
    deadline = time.monotonic() + SAFETY
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (IndexError, AttributeError):  # not mounted yet
            pass
        await pilot.pause(0.01)
    raise AssertionError("condition not reached")


def start_job(ctx, tui_api, prompt="write the report"):
    """A job started by an earlier termchat: (chat, job id)."""
    tui_api.script(Reply.text(REPLY))
    session = ctx.engine().session()
    started = [e for e in session.submit(prompt) if isinstance(e, ev.JobStarted)]
    return session.conv, started[0].response_id


def header(view) -> str:
    return view._header().plain


def chat_meta(app, index=0) -> str:
    return app.chat_screen.chat_list.options.get_option_at_index(index).lines[1]


async def test_a_job_left_running_is_followed_after_a_restart(tui_context, tui_api, clock):
    ctx = tui_context()
    conv, job_id = start_job(ctx, tui_api)
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.chat_screen.pane.views[-1].job)
        reply = app.chat_screen.pane.views[-1]
        assert "running in background (queued" in header(reply) and "interrupted" not in header(reply)
        assert chat_meta(app).startswith("◷ job running")
        assert "background job queued" in str(app.query_one("#status").render())
        clock.advance(6)
        await wait_for(pilot, lambda: "in progress" in header(app.chat_screen.pane.views[-1]))
        clock.advance(20)
        await wait_for(pilot, lambda: app.chat_screen.pane.views[-1].text == REPLY)
        reply = app.chat_screen.pane.views[-1]
        assert reply.job is None and "interrupted" not in header(reply)
        assert any("background job finished: “write the report”" in n for n in app.notes)
        assert app.rung == [1]
        await wait_for(pilot, lambda: not chat_meta(app).startswith("◷"))
    stored = ctx.store.messages(ctx.store.reload(conv))[-1]
    assert (stored.content, stored.status, ctx.store.job(job_id).status) == (REPLY, "complete", "completed")


async def test_ctrl_g_shows_the_job_at_once(tui_context, tui_api, clock):
    ctx = tui_context()
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        app.chat_screen.prompt.insert("write the report")
        tui_api.script(Reply.text(REPLY))
        await pilot.press("ctrl+g")
        # At once: the chat exists and is listed, the prompt and a labelled reply are shown.
        assert [c.title for c in ctx.store.list_conversations()] == ["write the report"]
        assert app.chat_screen.chat_list.options.get_option_at_index(0).lines[0] == "write the report"
        assert chat_meta(app).startswith("◷ job running")
        user, reply = app.chat_screen.pane.views
        assert user.text == "write the report"
        assert "background job: sending" in header(reply) or "running in background" in header(reply)
        assert "background job" in str(app.query_one("#status").render())
        await wait_for(pilot, lambda: "running in background (queued" in header(app.chat_screen.pane.views[-1]))
        assert "background job queued" in str(app.query_one("#status").render())
        clock.advance(20)
        await wait_for(pilot, lambda: app.chat_screen.pane.views[-1].text == REPLY)
        assert app.rung == [1]


async def test_a_job_that_fails_says_so(tui_context, tui_api, clock):
    ctx = tui_context(bell=False)
    tui_api.script(Reply.error_event("The model ran out of ideas"))
    session = ctx.engine().session()
    job_id = [e for e in session.submit("write it") if isinstance(e, ev.JobStarted)][0].response_id
    app = make_app(ctx, open_id=session.conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.chat_screen.pane.views[-1].job)
        clock.advance(20)
        await wait_for(pilot, lambda: any(f"job {job_id} failed" in n for n in app.notes))
        await wait_for(pilot, lambda: "failed: The model ran out of ideas" in header(app.chat_screen.pane.views[-1]))
        assert app.rung == []  # [notify] bell = false


async def test_quit_with_a_pending_job_does_not_wait_for_it(tui_context, tui_api):
    ctx = tui_context()
    conv, job_id = start_job(ctx, tui_api)

    async def run_and_quit():
        app = make_app(ctx, open_id=conv.id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(
                pilot, lambda: app.background_jobs.followers.following(job_id) and tui_api.requests_to("retrieve")
            )
            await pilot.press("ctrl+q")
        return app

    app = await asyncio.wait_for(run_and_quit(), SAFETY)
    assert app.return_code == 0
    for thread in [t for t in threading.enumerate() if t.name == f"follow {job_id}"]:
        thread.join(SAFETY)
        assert not thread.is_alive()
    # The job goes on on the server; its reply row waits for the next start, not "interrupted".
    job = ctx.store.job(job_id)
    assert job.pending and ctx.store.message(job.message_id).status == "streaming"


async def test_jobs_screen_refresh_files_the_reply(tui_context, tui_api, clock):
    from termchat.tui.screens.jobs import JobsScreen

    ctx = tui_context(bell=False)
    other = FakeAPI(clock=clock)  # the job runs there: this app does not follow it
    other.start()
    try:
        conv, job_id = start_job(ctx, tui_api)
        ctx.store._db.execute("UPDATE jobs SET base_url = ?", (other.base_url,))
        app = make_app(ctx, open_id=conv.id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "on " + other.base_url in header(app.chat_screen.pane.views[-1]))
            await pilot.press("ctrl+b")
            await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen))
            await app.workers.wait_for_complete()
            table = app.screen.query_one("DataTable")
            assert str(table.get_row_at(0)[0]) == "queued (other server)"
            # Back on its own server, the screen's refresh files the reply in the same step.
            ctx.store._db.execute("UPDATE jobs SET base_url = ?", (tui_api.base_url,))
            clock.advance(20)
            await pilot.press("r")
            await wait_for(pilot, lambda: ctx.store.job(job_id).status == "completed")
            assert ctx.store.messages(ctx.store.reload(conv))[-1].content == REPLY
    finally:
        other.stop()


def test_ctrl_q_ends_the_process_with_a_pending_job(tmp_path, tui_api):
    """The real thing, in a terminal: the job's follower must not hold the process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_"))}
    env.update(
        TERMCHAT_DATA_DIR=str(tmp_path / "data"),
        TERMCHAT_CONFIG=str(tmp_path / "config.toml"),
        OPENAI_BASE_URL=tui_api.base_url,
        OPENAI_API_KEY="sk-test-process-key",
        TERM="xterm-256color",
    )
    tui_api.script(Reply.text(REPLY))
    started = subprocess.run(
        [sys.executable, "-m", "termchat", "--background", "-p", "write the report"],
        env=env,
        capture_output=True,
        text=True,
        timeout=SAFETY,
    )
    assert started.returncode == 0, started.stderr
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "termchat", "-c"], stdin=child, stdout=child, stderr=child, env=env, close_fds=True
    )
    os.close(child)
    seen = b""
    try:
        deadline = time.monotonic() + SAFETY
        while not tui_api.requests_to("retrieve") and time.monotonic() < deadline:  # following it
            seen += _read(main)
        assert tui_api.requests_to("retrieve"), seen[-2000:]
        os.write(main, b"\x11")  # Ctrl+Q
        while proc.poll() is None and time.monotonic() < deadline:
            seen += _read(main)
        assert proc.poll() == 0, seen[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    assert b"Traceback" not in seen


def _read(fd: int) -> bytes:
    import select

    ready, _, _ = select.select([fd], [], [], 0.05)
    if not ready:
        return b""
    try:
        return os.read(fd, 65536)
    except OSError:  # the child closed the terminal
        return b""


def test_ctrl_c_while_quitting_during_a_send_exits_130_without_a_traceback(tmp_path, tui_api):
    """Ctrl+G then Ctrl+Q while the server sits on the request: termchat waits for the job id,
    says so, and one Ctrl+C ends it (exit 130, no traceback from the threads left behind)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_"))}
    env.update(
        TERMCHAT_DATA_DIR=str(tmp_path / "data"),
        TERMCHAT_CONFIG=str(tmp_path / "config.toml"),
        OPENAI_BASE_URL=tui_api.base_url,
        OPENAI_API_KEY="sk-test-process-key",
        TERM="xterm-256color",
    )
    release = threading.Event()
    tui_api.script(Reply.held(release, text=REPLY))  # the server sits on the request
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "termchat"], stdin=child, stdout=child, stderr=child, env=env, close_fds=True
    )
    os.close(child)
    seen = b""
    deadline = time.monotonic() + SAFETY
    try:
        while b"Message" not in seen and time.monotonic() < deadline:  # the prompt's placeholder
            seen += _read(main)
        os.write(main, b"write the report\x07")  # the prompt, then Ctrl+G
        while not tui_api.requests_to("responses") and time.monotonic() < deadline:
            seen += _read(main)
        os.write(main, b"\x11")  # Ctrl+Q
        while b"waiting for the server" not in seen and time.monotonic() < deadline:
            seen += _read(main)
        assert b"waiting for the server to accept the background job" in seen, seen[-2000:]
        proc.send_signal(signal.SIGINT)
        while proc.poll() is None and time.monotonic() < deadline:
            seen += _read(main)
        seen += _read(main)
        assert proc.poll() == 130, (proc.poll(), seen[-2000:])
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    assert b"Traceback" not in seen, seen[-3000:]
