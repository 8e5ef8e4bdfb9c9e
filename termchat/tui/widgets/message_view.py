"""One transcript entry: a header line, tool items, a Markdown body, and its status marks.

A streaming reply is fed by its `ReplyStream` (reply_stream.py: batched updates into segmented
Markdown bodies), never re-rendered whole per token. All model text passes `strip_control`
before it reaches a widget.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Collapsible, Markdown, Static

from termchat.history import ROLE_NAMES
from termchat.render_items import describe_item
from termchat.sanitize import strip_control
from termchat.tui.bindings import MESSAGE_COMMANDS, to_bindings
from termchat.tui.compat.widgets import ScopedRestyle
from termchat.tui.widgets.code_fence import CodeFence
from termchat.tui.widgets.message_body import MessageBody, markdown_link_text
from termchat.tui.widgets.reply_stream import ReplyStream, split_segments

STATUS_MARKS = {
    "streaming": "⚠ interrupted",  # a streaming row not owned by a running turn was cut off
    "interrupted": "⚠ interrupted",
    "failed": "✖ failed",
    "incomplete": "⚠ incomplete",
}
ITEM_DETAIL_LIMIT = 4000
FOLD_LINES = 30  # a user message longer than this shows folded (its first FOLDED_SHOWN lines)
FOLDED_SHOWN = 3


class ToolItem(Collapsible):
    """One non-text output item: a one-line summary that expands to the raw item."""

    def __init__(self, item_id: str, item: dict[str, Any], *, running: bool = False) -> None:
        self.item_id = item_id
        # Kept: `finish` may come before the collapsible has composed (mounted) its contents.
        self._detail_view = Static(self._detail(item), markup=False, classes="item-detail")
        super().__init__(
            self._detail_view,
            title=self._summary(item, running),
            collapsed=True,
            classes="tool-item",
        )

    @staticmethod
    def _summary(item: dict[str, Any], running: bool) -> Content:
        line = strip_control(describe_item(item), keep_newlines=False)
        if item.get("type") == "mcp_approval_response":  # the user's own answer, sent with the turn
            return Content(("✔ " if item.get("approve") else "✖ ") + line)
        return Content(("… " if running else "⚙ ") + line)

    @staticmethod
    def _detail(item: dict[str, Any]) -> str:
        text = json.dumps(item, indent=2, ensure_ascii=False, default=str)
        if len(text) > ITEM_DETAIL_LIMIT:
            text = text[:ITEM_DETAIL_LIMIT] + "\n…"
        return strip_control(text)

    def finish(self, item: dict[str, Any]) -> None:
        self.title = self._summary(item, False)
        self._detail_view.update(self._detail(item))


class TypedText(Static):
    """The user's message as typed: every character and line break kept, no Markdown, no markup.

    A long one (a paste, say) shows its first lines and how many more there are; Enter on the
    selected message or a click shows it all (and again: folds it)."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(markup=False, **kwargs)
        self.text = text
        self.line_count = text.count("\n") + 1
        self.folded = self.line_count > FOLD_LINES
        self._show()

    @property
    def foldable(self) -> bool:
        return self.line_count > FOLD_LINES

    def toggle(self) -> None:
        if self.foldable:
            self.folded = not self.folded
            self._show()

    def _show(self) -> None:
        if not self.folded:
            self.update(Content(self.text))
            return
        head = "\n".join(self.text.split("\n", FOLDED_SHOWN)[:FOLDED_SHOWN])
        more = self.line_count - FOLDED_SHOWN
        self.update(Content.assemble(head, "\n", (f"… {more:,} more lines · Enter or click shows them", "italic dim")))

    def on_click(self) -> None:
        self.toggle()


class MessageView(ScopedRestyle, Vertical, can_focus=True):
    """A message of the transcript; the assistant's may be streaming. Focus selects it (to copy,
    edit, regenerate or step through its alternatives: see tui/branches.py)."""

    BINDINGS = to_bindings(MESSAGE_COMMANDS)

    class EditRequested(Message):
        """Edit this prompt (a new branch when sent)."""

        def __init__(self, view: MessageView) -> None:
            super().__init__()
            self.view = view

    class RegenerateRequested(Message):
        """Ask for this reply again (a new branch)."""

        def __init__(self, view: MessageView) -> None:
            super().__init__()
            self.view = view

    class BranchRequested(Message):
        """Show the previous (`step` -1) or next (1) alternative of this message's turn."""

        def __init__(self, view: MessageView, step: int) -> None:
            super().__init__()
            self.view = view
            self.step = step

    class Grew(Message):
        """More streamed text was written into this view."""

    def __init__(
        self,
        role: str,
        content: str = "",
        *,
        message_id: int | None = None,
        status: str = "complete",
        items: list[dict[str, Any]] | None = None,
        error: str | None = None,
        meta: str = "",
        streaming: bool = False,
        branch: tuple[int, int] | None = None,
        created_at: float | None = None,
        attachments: list[str] | None = None,
    ) -> None:
        super().__init__(classes=f"message -{role}")
        self.attachments = list(attachments or [])  # one line per file sent with a prompt
        self.branch = branch  # (this chat's place, how many) among the alternatives of its turn
        self.created_at = created_at  # with it, `meta` is its age ("5m ago"), kept current
        self.role = role
        self.message_id = message_id
        self.status = status
        self.error = error
        self.meta = meta
        self.text = strip_control(content)
        self.items = list(items or [])
        self.streaming = streaming
        self.job: str | None = None  # a pending background job's label, shown instead of a status
        self.stream: ReplyStream | None = None
        self.citations: list[tuple[int, str, str]] = []
        self._tail_segments: list[str] = []
        self._code_index = -1  # the code block `c` copied last
        self._header_shown: Content | None = None  # what the header line shows (see _show_header)
        if streaming:
            self.add_class("-streaming")

    def compose(self) -> ComposeResult:
        self._header_shown = self._header()
        yield Static(self._header_shown, classes="message-header")
        # A compaction row's items are the opaque window sent to the model, not something to read.
        for index, item in enumerate(self.items if self.role != "compaction" else ()):
            yield ToolItem(str(item.get("id") or index), item)
        if self.role == "compaction":
            yield Static(
                Content(
                    "── context compacted here: earlier turns were summarised "
                    "for the model; the transcript above is kept ──"
                ),
                classes="compaction-note",
            )
        elif self.role == "user":
            yield TypedText(self.text, classes="typed-text")
            for line in self.attachments:
                yield Static(
                    Content.assemble(("attached: ", "dim"), strip_control(line, keep_newlines=False)),
                    classes="attachment-line",
                )
        elif self.streaming:  # cut like the stream would have cut it (see reply_stream)
            segments = self._tail_segments = list(split_segments(self.text))
            for index, segment in enumerate(segments):
                yield MessageBody(segment, trim=index == len(segments) - 1, classes="message-body")
        else:
            yield MessageBody(self.text, classes="message-body")

    def _header(self) -> Content:
        name = ROLE_NAMES.get(self.role, self.role)
        parts: list[str | tuple[str, str]] = [(name, "bold")]
        if self.meta:
            parts += [("  " + self.meta, "dim")]
        if self.branch is not None:
            parts += [(f"  ‹ {self.branch[0]}/{self.branch[1]} ›", "bold")]
        if self.streaming:
            parts += [("  ● streaming", "italic")]
        elif self.job:
            parts += [("  ◷ " + self.job, "italic")]
        elif self.role == "assistant" and self.status in STATUS_MARKS:
            mark = STATUS_MARKS[self.status]
            if self.error and self.status == "failed":
                mark += f": {strip_control(self.error, keep_newlines=False)}"
            parts += [("  " + mark, "bold")]
        return Content.assemble(*parts)

    def restyle_nodes(self) -> list[Widget]:
        """Only this view's own rules and its header's depend on its classes (`-streaming`,
        `-unfinished`) and `:focus` (app.tcss: keep it so); its Markdown blocks need no restyle."""
        return [self, *self.query_children(".message-header")]

    def action_edit(self) -> None:
        if self.role != "user" or self.message_id is None:
            self.notify("select one of your prompts to edit it (Alt+Up)", markup=False)
        else:
            self.post_message(self.EditRequested(self))

    def action_regenerate(self) -> None:
        if self.role != "assistant" or self.message_id is None:
            self.notify("select a reply to regenerate it (Alt+Up)", markup=False)
        else:
            self.post_message(self.RegenerateRequested(self))

    def action_branch(self, step: int) -> None:
        if self.role in ("user", "assistant") and self.message_id is not None:
            self.post_message(self.BranchRequested(self, step))

    def refresh_header(self) -> None:
        self.set_class(
            self.role == "assistant" and self.status in STATUS_MARKS and not self.streaming and not self.job,
            "-unfinished",
        )
        self.set_class(self.streaming, "-streaming")
        self._show_header()

    def _show_header(self) -> None:
        """Put `_header()` in the header line, unless it shows that already: an update lays the
        message out again (on mount, each message of a page would be, for the header it has)."""
        content = self._header()
        shown = self._header_shown
        if shown is not None and shown.plain == content.plain and shown.spans == content.spans:
            return
        for header in self.query_children(".message-header").results(Static):
            header.update(content)  # (none left while the app shuts down)
            self._header_shown = content

    def on_mount(self) -> None:
        self.refresh_header()

    def action_copy_code(self) -> None:
        """Copy the message's code blocks one after the other: each press the next one."""
        fences = list(self.query(CodeFence))
        if fences:
            self._code_index = (self._code_index + 1) % len(fences)
            fences[self._code_index].copy()

    def action_toggle_fold(self) -> None:
        for typed in self.query(TypedText):
            typed.toggle()

    def on_unmount(self) -> None:
        if self.stream is not None:  # removed mid-stream: the app quits
            self.stream.abandon()
            self.stream = None

    def refresh_time(self, now: float) -> None:
        """Show the message's age as of `now` (a view without a time keeps its `meta`)."""
        from termchat.listing import relative_time

        if self.created_at is None:
            return
        meta = relative_time(self.created_at, now)
        if meta != self.meta:
            self.meta = meta
            self._show_header()

    @property
    def body(self) -> MessageBody:
        """The (first) Markdown body; a streamed reply continues in more bodies after it."""
        return self.query(".message-body").first(MessageBody)

    @property
    def bodies(self) -> list[MessageBody]:
        return list(self.query_children(".message-body").results(MessageBody))

    # -- streaming ---------------------------------------------------------------------------

    def start_stream(self, on_backlog: Callable[[int, bool], None] | None = None) -> None:
        """Stream into this view from now on (`on_backlog`: see `ReplyStream`)."""
        bodies = self.bodies
        if not bodies:  # not composed: its mount was cut short (the app quits); the turn keeps the text
            return
        # A view composed while streaming holds split_segments(self.text), one body each.
        tail_text = self._tail_segments[-1] if len(self._tail_segments) == len(bodies) else self.text
        self.streaming = True
        self.stream = ReplyStream(bodies[-1], tail_text, self._open_segment, on_backlog)
        self.refresh_header()

    async def _open_segment(self, text: str, after: MessageBody) -> MessageBody:
        after.set_trim(False)
        after.close()
        segment = MessageBody(text, classes="message-body")
        await self.mount(segment, after=after)
        return segment

    async def write(self, text: str) -> None:
        """Append sanitized text (the caller sanitizes stream chunks with StreamSanitizer)."""
        self.text += text
        if self.stream is not None:
            self.stream.write(text)
            if text:
                self.post_message(self.Grew())

    async def finish(self, *, status: str, final_text: str | None = None, error: str | None = None) -> None:
        """Flush the stream so the final tokens appear, then mark the reply's outcome."""
        if self.stream is not None:
            await self.stream.stop()
            self.stream = None
        if final_text is not None:
            final_text = strip_control(final_text)
            if final_text != self.text:
                self.text = final_text
                bodies = self.bodies
                if len(bodies) > 1:
                    await self.remove_children(bodies[1:])
                if bodies:  # (none left while the app shuts down)
                    bodies[0].set_trim(True)
                    await bodies[0].update(final_text)
        self.streaming = False
        self.status = status
        self.error = error
        self.refresh_header()

    async def add_item(self, item_id: str, item: dict[str, Any], *, finished: bool) -> None:
        for existing in self.query(ToolItem):
            if existing.item_id == item_id:
                if finished:
                    existing.finish(item)
                return
        await self.mount(ToolItem(item_id, item, running=not finished), before=self.body)

    async def add_citation(self, number: int, title: str, url: str) -> None:
        self.citations.append((number, title, url))
        lines = [
            f"{n}. [{markdown_link_text(t or u)}](<{strip_control(u, keep_newlines=False)}>)"
            for n, t, u in self.citations
        ]
        text = "**Sources**\n\n" + "\n".join(lines)
        existing = self.query(".message-sources")
        if existing:
            await existing.first(Markdown).update(text)
        else:
            await self.mount(MessageBody(text, classes="message-sources"))
