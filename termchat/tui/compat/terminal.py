"""Textual's private API for the terminal's input: the parser that reads Alt+Enter and bracketed
pastes (see `termchat.tui.compat` for the rule this package keeps).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser
from textual.message import Message

# -- the terminal's input ----------------------------------------------------------------------
# Textual 8.2's xterm parser (`textual._xterm_parser`, private) gets two things wrong that a chat
# prompt depends on, in terminals without the kitty keyboard protocol (tmux, xterm, most):
#
# - ESC CR (Alt+Enter; tmux sends it for M-Enter) is not a known sequence, so the parser keeps
#   reading: keys typed within the escape delay join the sequence, and when it gives up it
#   reports a plain `enter` (the Alt is lost: the prompt sends) and, past 32 characters or at
#   the next ESC, a stray `^`.
# - Inside a bracketed paste, an ESC (text copied from a coloured terminal, say) makes it read
#   the characters after it as keys: a CR in them sends the prompt, a BEL is Ctrl+G.
#
# `TerminalParser` reads ESC CR as `alt+enter` at once, and a bracketed paste as one `Paste`
# holding everything between its markers; `install_terminal_parser` makes the driver use it.

_ALT_ENTER = "\x1b\r"


def _marker_prefix_at_end(data: str, marker: str) -> int:
    """How many characters at the end of `data` begin `marker` (0: none)."""
    for size in range(min(len(marker) - 1, len(data)), 0, -1):
        if data.endswith(marker[:size]):
            return size
    return 0


class TerminalParser(XTermParser):
    """`XTermParser` with ESC CR read as Alt+Enter and bracketed pastes kept whole.

    The paste markers still go through Textual's parser (it keeps its own paste state in step),
    but what is between them never does: it is collected here and posted as one `Paste`.
    """

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._paste: list[str] | None = None  # the paste being read, between its markers
        self._paste_tail = ""  # its last characters: the end marker may start in them
        self._partial = ""  # a read ended with these first characters of the start marker

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # end of input
            if self._paste is not None:  # the terminal went away mid-paste: keep what came
                yield events.Paste("".join(self._paste).replace("\x00", ""))
                self._paste, self._paste_tail = None, ""
            yield from self._feed_textual("")
            return
        while data:
            if self._paste is not None:
                pasted, data = self._read_paste(data)
                if pasted is not None:
                    yield from self._feed_textual(BRACKETED_PASTE_END)
                    yield pasted
                continue
            if self._partial:  # does this read finish the start marker?
                rest = BRACKETED_PASTE_START[len(self._partial) :]
                if data.startswith(rest):
                    self._partial = ""
                    yield from self._start_paste(rest)
                    data = data[len(rest) :]
                    continue
                if rest.startswith(data):  # still not whole
                    self._partial += data
                    yield from self._feed_textual(data)
                    return
                self._partial = ""
            start = data.find(BRACKETED_PASTE_START)
            if start != -1:
                yield from self._start_paste(data[: start + len(BRACKETED_PASTE_START)])
                data = data[start + len(BRACKETED_PASTE_START) :]
                continue
            size = _marker_prefix_at_end(data, BRACKETED_PASTE_START)
            self._partial = data[len(data) - size :] if size else ""
            yield from self._feed_textual(data)
            return

    def _start_paste(self, data: str) -> Iterable[Message]:
        """Feed Textual's parser `data`, which ends with (the rest of) the start marker."""
        yield from self._feed_textual(data)
        self._paste, self._paste_tail = [], ""

    def _read_paste(self, data: str) -> tuple[events.Paste | None, str]:
        """Add `data` to the paste being read: (the Paste once its end marker came, what follows)."""
        paste = self._paste
        assert paste is not None
        # The end marker may have begun in the previous read: search from a marker's length back.
        text = self._paste_tail + data
        end = text.find(BRACKETED_PASTE_END)
        if end == -1:
            paste.append(data)
            self._paste_tail = text[-(len(BRACKETED_PASTE_END) - 1) :]
            return None, ""
        whole = "".join(paste)
        whole = whole[: len(whole) - len(self._paste_tail)] + text[:end]
        self._paste, self._paste_tail = None, ""
        # NUL removed as Textual does (https://github.com/Textualize/textual/issues/1661)
        return events.Paste(whole.replace("\x00", "")), text[end + len(BRACKETED_PASTE_END) :]

    def _feed_textual(self, data: str) -> Iterable[Message]:
        for message in super().feed(data):
            if isinstance(message, events.Paste) and not message.text:
                continue  # it saw the markers only: the paste itself is posted by `feed`
            yield message

    def tick(self) -> Iterable[Message]:
        for message in super().tick():
            self._partial = ""  # the escape delay passed: what the read ended with were keys
            yield message

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if sequence == _ALT_ENTER:
            yield events.Key("alt+enter", None)
            return
        for event in super()._sequence_to_key_events(sequence, alt):
            # xterm's modifyOtherKeys form of a modified Enter (CSI 27;2;13~) is named
            # "shift+\r" by Textual: name it as the kitty protocol's does.
            if event.key.endswith("+\r"):
                event = events.Key(event.key[:-1] + "enter", event.character)
            yield event


def install_terminal_parser() -> None:
    """Read the terminal with `TerminalParser` (from the next driver started).

    Textual 8.2: the Linux driver creates its parser from the module's `XTermParser` name when
    its input thread starts.
    """
    from textual.drivers import linux_driver

    linux_driver.XTermParser = TerminalParser  # type: ignore[misc]
