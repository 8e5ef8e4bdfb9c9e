"""What termchat writes: `termchat: …` lines on stderr, a reply on stdout, stdout silencing.

`say` is the one way a command writes a status, note, warning or error line. `PlainWriter` and
`JsonWriter` turn engine events into what a pipe or a terminal receives. Kept light at import
(only `os` and `sys`): the `termchat list` fast path uses `say`, and its budget has no room for
dataclasses or `re`; everything heavier is imported when a writer is built.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `typing` is not on the `list` fast path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TextIO

    from termchat import events as ev


def say(message: str, *, level: str | None = None, stream: TextIO | None = None) -> None:
    """Write `termchat: [level: ]message` and a newline to stderr (or `stream`).

    `level` is None for a plain status line, else "note", "warning" or "error". Terminal
    control sequences and every secret the process holds are removed (`termchat.redact`):
    messages often quote the server. A stderr that cannot be
    written to is ignored, so a failing status line never hides the command's own outcome.
    """
    # redact() strips control sequences too; a plain message skips the sanitizer and `re`
    # (which the list fast path must not import).
    from termchat.redact import redact

    message = redact(message, keep_newlines=True)  # it may quote a server that echoed a secret
    out = sys.stderr if stream is None else stream
    try:
        out.write(f"termchat: {level}: {message}\n" if level else f"termchat: {message}\n")
        out.flush()
    except (OSError, ValueError):  # closed or broken stderr
        pass


def silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


class PlainWriter:
    """Text to stdout as it arrives (control sequences stripped); status lines to stderr."""

    def __init__(self, out: TextIO, err: TextIO, *, structured: bool = False) -> None:
        from termchat import events as ev
        from termchat.sanitize import StreamSanitizer

        self.structured = structured  # Structured Outputs: print pretty JSON once it is whole
        self.out = out
        self.err = err
        self.clean = StreamSanitizer()
        self.citations: list[ev.Citation] = []
        self.wrote_text = False
        self.last_char = "\n"
        self.err_tty = err.isatty()
        # Event types have no subclasses: one lookup by type instead of an isinstance chain.
        self._handlers: dict[type, Callable[[Any], None]] = {
            ev.TextDelta: self._on_text,
            ev.Notice: self._on_notice,
            ev.ItemFinished: self._on_item,
            ev.Citation: self.citations.append,
            ev.Finished: self._on_finished,
            ev.Failed: self._on_failed,
        }

    def _text(self, text: str) -> None:
        if text:
            self.out.write(text)
            self.out.flush()
            self.wrote_text = True
            self.last_char = text[-1]

    def status(self, line: str) -> None:
        say(line, stream=self.err)

    def handle(self, event: ev.Event) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _on_text(self, event: ev.TextDelta) -> None:
        if not self.structured:
            self._text(self.clean.feed(event.text))

    def _on_notice(self, event: ev.Notice) -> None:
        self.status(f"note: {event.message}")

    def _on_item(self, event: ev.ItemFinished) -> None:
        from termchat.render_items import describe_item, is_silent

        if not is_silent(event.item):
            self.status(describe_item(event.item))

    def _on_finished(self, event: ev.Finished) -> None:
        from termchat.sanitize import strip_control

        self._text(self.clean.flush())
        if self.structured and not event.refusal:
            if event.parsed is not None:
                import json

                body = json.dumps(event.parsed, indent=2, ensure_ascii=False)
            else:
                body = event.text
            self._text(strip_control(body))
        if self.citations:
            self._text(
                "\n\n"
                + "\n".join(f"[{c.number}] {strip_control(c.title)} <{strip_control(c.url)}>" for c in self.citations)
            )
        self._end_line()
        if event.status == "incomplete":
            self.status(f"note: the reply is incomplete ({event.reason or 'cut off'})")
        if self.err_tty:
            self.status(_summary(event))

    def _on_failed(self, event: ev.Failed) -> None:
        self.end_line()

    def end_line(self) -> None:
        """Finish the partial line of a reply that stops early (failed or interrupted)."""
        self._text(self.clean.flush())
        self._end_line()

    def _end_line(self) -> None:
        if self.wrote_text and self.last_char != "\n":
            self._text("\n")


def _summary(event: ev.Finished) -> str:
    """The closing status line on a terminal: chat id, tokens, cost."""
    parts = [event.conversation_id]
    if event.usage:
        parts.append(f"{event.usage.input_tokens} in / {event.usage.output_tokens} out tokens")
        from termchat.usd import format_usd

        parts.append("cost unknown" if event.usage.cost_usd is None else format_usd(event.usage.cost_usd))
    return " · ".join(parts)


class JsonWriter:
    """One JSON object per line per event (`--json`): {"type": "text_delta", ...fields}."""

    def __init__(self, out: TextIO) -> None:
        from dataclasses import asdict

        from termchat.sanitize import safe_json

        self.out = out
        self._asdict = asdict
        self._json = safe_json

    def handle(self, event: ev.Event) -> None:
        name = type(event).__name__
        fields = self._asdict(event)
        if name in ("Failed", "Notice"):  # errors and notes may quote a server that echoed a secret
            from termchat.redact import redact_value

            fields = redact_value(fields)
        data = {"type": "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_"), **fields}
        self.write(data)

    def write(self, data: dict[str, Any]) -> None:
        """One JSON line that is not an engine event (e.g. the id of a started job)."""
        self.out.write(self._json(data) + "\n")
        self.out.flush()
