"""What a terminal without the kitty keyboard protocol sends (tmux, xterm) reaches the prompt as
the user meant it: ESC CR is Alt+Enter (a newline), a bracketed paste is text, never keys.

The first tests run termchat in a pseudo-terminal, as a user does: the bytes go through the real
driver and its parser. The others feed the parser the way the driver does, read by read.
"""

from __future__ import annotations

import fcntl
import os
import pty
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest
from textual import events

from termchat.tui.compat.terminal import install_terminal_parser
from termchat.tui.widgets.prompt import pasted_text

TIMEOUT = 60.0  # seconds: a bound for a hung app on a loaded machine, not a pace


class Terminal:
    """termchat running in a pseudo-terminal that answers none of the terminal queries."""

    def __init__(self, env: dict[str, str], size: tuple[int, int] = (100, 30)) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.master = master
        self.output = bytearray()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "termchat"], stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        # The app blocks once the pty's buffer is full: drain it all along.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def wait_for_output(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while text.encode() not in self.output:
            assert self.proc.poll() is None, f"termchat exited: {bytes(self.output[-2000:])!r}"
            assert time.monotonic() < deadline, f"never showed {text!r}"
            time.sleep(0.02)

    def write(self, data: str) -> None:
        os.write(self.master, data.encode())

    def quit(self) -> int:
        self.write("\x11")  # Ctrl+Q
        try:
            return self.proc.wait(TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self.master)


def wait_until(predicate, what: str):
    deadline = time.monotonic() + TIMEOUT
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)
    return result


@pytest.fixture
def terminal(tmp_path, tui_api):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_", "TEXTUAL"))}
    env.update(
        TERM="xterm-256color",
        TERMCHAT_DATA_DIR=str(tmp_path / "data"),
        TERMCHAT_CONFIG=str(tmp_path / "config.toml"),
        OPENAI_BASE_URL=tui_api.base_url,
        OPENAI_API_KEY="sk-test-terminal-key",
    )
    env.pop("NO_COLOR", None)
    term = Terminal(env)
    try:
        term.wait_for_output("Enter sends")  # the prompt's placeholder: the app reads keys now
        yield term
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
            term.proc.wait()


def sent_prompts(api) -> list[str]:
    return [
        r.body["input"][-1]["content"]
        for r in api.requests_to("responses")
        if r.method == "POST" and isinstance(r.body, dict) and "input" in r.body
    ]


def reply_finished(data_dir, count: int) -> bool:
    path = data_dir / "termchat.db"
    if not path.exists():
        return False
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("select count(*) from messages where role = 'assistant' and status = 'complete'")
        return rows.fetchone()[0] >= count


def test_alt_enter_from_tmux_adds_a_newline_and_keys_typed_after_it_land(terminal, tui_api, tmp_path):
    # tmux sends M-Enter as ESC CR; a fast typist's next keys arrive in the same read.
    terminal.write("first line\x1b\rsecond\x1b\rthird")
    terminal.write("\r")
    prompts = wait_until(lambda: sent_prompts(tui_api), "a request")
    assert prompts == ["first line\nsecond\nthird"]
    wait_until(lambda: reply_finished(tmp_path / "data", 1), "the reply")
    assert terminal.quit() == 0


def test_a_bracketed_paste_is_text_whatever_it_holds(terminal, tui_api, tmp_path):
    # Text copied from a coloured terminal: escape codes, a CR, a BEL (Ctrl+G sends a background
    # job), all inside the paste markers. Only the Enter typed after it sends, once.
    terminal.write("\x1b[200~one \x1b[31mred\x1b[0m\rtwo\x07 three\r\n\x1b[201~")
    terminal.write("and typed")
    terminal.write("\r")
    prompts = wait_until(lambda: sent_prompts(tui_api), "a request")
    assert prompts == ["one red\ntwo three\nand typed"]
    wait_until(lambda: reply_finished(tmp_path / "data", 1), "the reply")
    bodies = [r.body for r in tui_api.requests_to("responses") if isinstance(r.body, dict)]
    assert not any(body.get("background") for body in bodies)
    assert len(sent_prompts(tui_api)) == 1
    assert terminal.quit() == 0


# -- the parser, read by read ----------------------------------------------------------------


def driver_parser():
    """The parser the Linux driver creates, once termchat has set it up."""
    from textual.drivers import linux_driver

    install_terminal_parser()
    return linux_driver.XTermParser()


def read(parser, *reads: str) -> list[tuple[str, str]]:
    out = []
    for data in reads:
        out += parser.feed(data)
        out += parser.tick()
    return [("paste", e.text) if isinstance(e, events.Paste) else ("key", e.key) for e in out]


def test_esc_cr_is_alt_enter_at_once_and_leaves_no_stray_caret():
    keys = read(driver_parser(), "a\x1b\rb\x1b\rc")
    assert keys == [("key", "a"), ("key", "alt+enter"), ("key", "b"), ("key", "alt+enter"), ("key", "c")]


def test_modified_enter_of_xterm_modify_other_keys_is_named_enter():
    assert read(driver_parser(), "\x1b[27;2;13~") == [("key", "shift+enter")]


def test_a_paste_split_anywhere_across_reads_is_one_paste():
    data = "ab\x1b[200~one\x1b[31m red\x1b[0m\r two\x07 three\x1b[201~cd"
    want = [("key", "a"), ("key", "b"), ("paste", "one\x1b[31m red\x1b[0m\r two\x07 three"), ("key", "c"), ("key", "d")]
    for first in range(1, len(data)):
        for second in range(first, len(data)):
            reads = [part for part in (data[:first], data[first:second], data[second:]) if part]
            assert read(driver_parser(), *reads) == want, reads


def test_a_paste_cut_off_by_the_end_of_input_keeps_what_came():
    parser = driver_parser()
    assert read(parser, "\x1b[200~half a paste") == []
    assert [e.text for e in parser.feed("")] == ["half a paste"]


def test_pasted_text_keeps_text_and_drops_terminal_controls():
    assert pasted_text("a\r\nb\rc\td\x07\x1b[1mé 🙂\x1b[0m") == "a\nb\nc\tdé 🙂"


# -- the prompt, given the keys and pastes the parser produces ----------------------------------


async def test_newline_keys_in_a_burst_keep_their_place_among_the_typed_keys(tui_context, tui_api):
    from termchat.tui.app import TermchatApp

    from conftest import TUI_NOW

    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # One read's worth of keys reaches the app at once; the newline keys are priority
        # bindings, run by the app before the prompt has handled the keys queued to it.
        for key, character in (("a", "a"), ("alt+enter", None), ("b", "b"), ("ctrl+j", "\n"), ("c", "c")):
            app.post_message(events.Key(key, character))
        for _ in range(100):
            await pilot.pause()
            if app.chat_screen.prompt.text.count("\n") == 2 and "c" in app.chat_screen.prompt.text:
                break
        assert app.chat_screen.prompt.text == "a\nb\nc"
        assert tui_api.requests_to("responses") == []


async def test_a_paste_into_the_prompt_is_inserted_once_as_text(tui_context, tui_api):
    from termchat.tui.app import TermchatApp

    from conftest import TUI_NOW

    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.chat_screen.prompt.insert("> ")
        app.post_message(events.Paste("one\x1b[31m red\x1b[0m\rtwo\x07"))
        await pilot.pause()
        assert app.chat_screen.prompt.text == "> one red\ntwo"
        assert app.chat_screen.prompt.cursor_location == (1, 3)
        assert tui_api.requests_to("responses") == []


def test_the_textual_internals_the_parser_relies_on_are_there():
    # compat.TerminalParser (Textual 8.2): the driver builds its parser from the module's name,
    # and the parser maps sequences to keys in one overridable method.
    import inspect

    from textual._xterm_parser import XTermParser
    from textual.drivers import linux_driver

    assert "XTermParser(" in inspect.getsource(linux_driver.LinuxDriver.run_input_thread)
    assert list(inspect.signature(XTermParser._sequence_to_key_events).parameters) == ["self", "sequence", "alt"]
    assert "sequence_to_key_events = self._sequence_to_key_events" in inspect.getsource(XTermParser.parse)
