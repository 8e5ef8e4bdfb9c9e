"""The headless engine: one `Session` per chat turns SDK stream events into domain events.

No Textual and no printing here: the one-shot CLI and the TUI are two views over `Session.send`.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from termchat import events as ev
from termchat import history
from termchat.api import Api
from termchat.attachments import send_files
from termchat.chat_lock import ChatLock
from termchat.chat_open import (
    INTERRUPTED_NOTE,
    adopt_server_items,
    has_server_copy,
    import_conversation,
    make_title,
    open_chat,
    sync_chat,
    sync_with_server,
)
from termchat.errors import NotSupportedError, TermchatError
from termchat.pricing import token_count
from termchat.redact import redact
from termchat.state_modes import DEFAULT_STATE_MODE, STATE_MODES
from termchat.store import FAILED, INTERRUPTED, STREAMING, ConversationRow, Store
from termchat.sync import gone_message, server_copy_gone
from termchat.turn_reply import TurnReply
from termchat.turn_request import RequestDefaults, TurnOptions, build_request

# Names other modules import from here; chat opening lives in chat_open, the request in
# turn_request, pricing a response in turn_pricing, streaming and filing the reply in turn_reply.
__all__ = ["INTERRUPTED_NOTE", "Capabilities", "Engine", "Session", "TurnOptions", "make_title"]


@dataclass
class Capabilities:
    """What the server turned out to lack, learned once per process."""

    conversations: bool = True


class Engine:
    """Shared dependencies: the store, the API client and the defaults from the config."""

    def __init__(
        self,
        store: Store,
        api: Api,
        *,
        model: str,
        mode: str = DEFAULT_STATE_MODE,
        instructions: str | None = None,
        pricing: dict[str, Any] | None = None,
        mcp_servers: tuple[Any, ...] = (),
        compaction: Any = None,
    ) -> None:
        self.store = store
        self.api = api
        self.model = model
        self.mode = mode
        self.instructions = instructions
        self.pricing = pricing
        self.mcp_servers = mcp_servers
        self.compaction = compaction
        self.capabilities = Capabilities()

    def is_reasoning_model(self, model: str) -> bool:
        from termchat.config import model_info

        info = model_info(model)
        return bool(info and info.reasoning)

    def context_window(self, model: str) -> int | None:
        from termchat.config import model_info

        info = model_info(model)
        return info.context_window if info else None

    def with_secrets(self, tool: dict[str, Any]) -> dict[str, Any]:
        """Add an MCP server's auth headers (read from its env var) at send time; never stored."""
        if tool.get("type") != "mcp":
            return tool
        for server in self.mcp_servers:
            if server.label == tool.get("server_label"):
                headers = server.headers()
                if headers:
                    return {**tool, "headers": headers}
        return tool

    def open(self, ident: str, *, sync: bool = True) -> tuple[ConversationRow, list[ev.Notice]]:
        """Find a chat by id: locally, else import a `conv_…` id from the server."""
        return open_chat(self.store, self.api, ident, sync=sync, default_model=self.model)

    def import_conversation(self, conversation_id: str) -> ConversationRow:
        return import_conversation(self.store, self.api, conversation_id, default_model=self.model)

    @staticmethod
    def has_server_copy(conv: ConversationRow) -> bool:
        """Whether opening `conv` reads its server copy (see `chat_open.has_server_copy`)."""
        return has_server_copy(conv)

    def sync_with_server(self, conv: ConversationRow) -> tuple[ConversationRow, list[ev.Notice]]:
        """An open's sync as its own step: the chat re-read and what to tell the user."""
        return sync_with_server(self.store, self.api, conv)

    def sync(self, conv: ConversationRow) -> int:
        """Merge the server's items into the local transcript (never replacing it); returns how
        many messages were added. Raises `ApiError` when the server cannot be read."""
        return sync_chat(self.store, self.api, conv)

    def adopt_server_items(self, conv: ConversationRow, items: list[dict[str, Any]]) -> int:
        """Add the turns only the server has to the local transcript (see termchat.sync)."""
        return adopt_server_items(self.store, conv, items)

    def session(self, conv: ConversationRow | None = None, **overrides: Any) -> Session:
        return Session(self, conv, **overrides)


class Session(TurnReply):
    """One chat. `send` runs a turn and yields events; `stop` ends a running turn."""

    engine: Engine

    def __init__(
        self,
        engine: Engine,
        conv: ConversationRow | None = None,
        *,
        mode: str | None = None,
        model: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.engine = engine
        self.conv = conv
        self.mode = mode or (conv.mode if conv else engine.mode)
        self.model = model or (conv.model if conv else engine.model)
        self.settings = dict(conv.settings if conv else {})
        self.settings.update(settings or {})
        self._stop = threading.Event()
        self._http: Any = None  # the open SDK stream of the running turn
        if self.mode not in STATE_MODES:
            raise TermchatError(f"unknown state mode '{self.mode}' (choose from {', '.join(STATE_MODES)})")
        if conv and (conv.mode != self.mode or conv.model != self.model or settings):
            self.conv = engine.store.update_conversation(conv, mode=self.mode, model=self.model, settings=self.settings)

    def stop(self) -> None:
        """Stop the running turn from any thread; its partial reply is kept and marked."""
        self._stop.set()
        http = self._http
        if http is not None:
            self.engine.api.abort(http)  # wakes a reader blocked on a stalled stream

    # -- one turn ---------------------------------------------------------------------------

    def send(
        self, prompt: str, options: TurnOptions | None = None, *, saved_id: int | None = None
    ) -> Iterator[ev.Event]:
        """Send a user prompt; the prompt is saved before anything goes over the network
        (`saved_id`: it already is, as the message with that id, e.g. with its new chat)."""
        options = options or TurnOptions()
        records = [a.record() for a in options.attachments]
        if saved_id is None:
            user_id = self.save_prompt(prompt, attachments=records)
        else:
            user_id = saved_id
            if records:
                self.store.update_message(saved_id, attachments=records)
        yield from self._turn([{"role": "user", "content": prompt}], user_id, options)

    def submit(
        self, prompt: str, options: TurnOptions | None = None, *, saved_id: int | None = None
    ) -> Iterator[ev.Event]:
        """Send a prompt as a background job (`send` with `background`): the server runs it on
        its own; `termchat.background` follows it to its end, now or from a later process."""
        options = dataclasses.replace(options or TurnOptions(), background=True)
        yield from self.send(prompt, options, saved_id=saved_id)

    def resume(self, job_id: str, reply_id: int, text: list[str]) -> Iterator[ev.Event]:
        """Replay a background job's event stream into its reply row, filing it at the end;
        `stop` ends it early (the job goes on on the server)."""
        stream = self.engine.api.resume_stream(job_id, on_open=self._opened)
        try:
            yield from self.consume(stream, reply_id, text, TurnOptions(background=True), job_id=job_id)
        finally:
            self._http = None

    def save_prompt(self, prompt: str, *, attachments: list[dict[str, Any]] | None = None) -> int:
        """Store the user's prompt (creating the chat on its first one) with what it records of
        the files sent with it; returns its message id."""
        if not prompt.strip():
            raise TermchatError("empty prompt: nothing to send")
        if self.conv is None:
            self.conv, message_id = self.store.create_conversation_with_prompt(
                prompt,
                mode=self.mode,
                model=self.model,
                title=make_title(prompt),
                settings=self.settings,
                attachments=attachments,
            )
            return message_id
        return self.store.add_message(self.conv, "user", prompt, attachments=attachments)

    def keep_unsent(self, prompt: str, why: str, attachments: list[dict[str, Any]] | None = None) -> int:
        """Store a prompt that is not sent now (a budget refused it), with what it records of its
        files, as a turn the server never answered: the prompt, then a failed reply saying why.
        Returns the prompt's message id."""
        user_id = self.save_prompt(prompt, attachments=attachments)
        assert self.conv is not None
        self.store.add_message(self.conv, "assistant", "", status=FAILED, error=why)
        return user_id

    def unsent_prompt(self) -> tuple[str, int, int | None] | None:
        """The chat's last prompt if the server never answered it (a budget refused it, or its
        request failed before any reply): (text, its message id, the empty failed reply's id)."""
        if self.conv is None:
            return None
        last = self.store.messages(self.conv, limit=2)
        if last and last[-1].role == "user":
            return last[-1].content, last[-1].id, None  # its reply row was never written
        if len(last) < 2:
            return None
        prompt, reply = last
        if (
            prompt.role != "user"
            or reply.role != "assistant"
            or reply.status != FAILED
            or reply.content
            or reply.response_id
            or reply.usage
        ):
            return None
        return prompt.content, prompt.id, reply.id

    def answer_approvals(self, decisions: dict[str, bool], options: TurnOptions | None = None) -> Iterator[ev.Event]:
        """Answer MCP approval requests (request id -> approve?) and stream what follows."""
        if self.conv is None or not decisions:
            raise TermchatError("no approval requests to answer")
        items = [
            {"type": "mcp_approval_response", "approval_request_id": rid, "approve": bool(ok)}
            for rid, ok in decisions.items()
        ]
        yield from self._turn(items, None, options or TurnOptions(), carried=items)

    def _turn(
        self,
        new_items: list[dict[str, Any]],
        user_id: int | None,
        options: TurnOptions,
        carried: list[dict[str, Any]] | None = None,
    ) -> Iterator[ev.Event]:
        """A turn's one life, foreground or background: reply row, server conversation, request,
        then a stream (foreground) or a job (background), and the reply filed or kept on failure."""
        self._stop.clear()
        conv = self.conv
        assert conv is not None
        reply_id = self.store.add_message(conv, "assistant", "", status=STREAMING, items=carried)
        text: list[str] = []
        started = False
        lock = None
        try:
            notice = None
            if self.mode == "conversation" and not conv.remote_id:
                # First, so every event of the turn names the chat by the id `list` shows.
                notice = self._ensure_remote()
            yield ev.TurnStarted(self._chat_id, user_id or 0, reply_id)
            started = True
            if notice:
                yield notice
            if self.mode == "chain":
                lock = ChatLock(self.store.path.parent, conv.pk)
                if not lock.try_acquire():
                    yield ev.Notice(
                        "waiting for the other termchat to finish its turn in this chat "
                        "(chain mode: one turn at a time)"
                    )
                    lock.acquire(self._stop)
                self.conv = self.store.reload(conv)  # continue from the turn that just finished
            if options.attachments:
                new_items = send_files(self.engine.api, self.store, user_id, new_items, options.attachments)
            params = self._request(new_items, options)
            if options.background:
                yield from self._submit(params, reply_id)
                return
            yield from self._run(params, reply_id, text, options, carried or [])
        except (KeyboardInterrupt, GeneratorExit):
            self._mark(reply_id, text, INTERRUPTED, "interrupted")
            raise
        except TermchatError as exc:
            interrupted = self._stop.is_set()
            message = "stopped by the user; the partial reply was kept" if interrupted else exc.one_line()
            if not interrupted and self.mode == "conversation" and self._server_copy_gone(exc):
                message = gone_message(conv.remote_id or conv.id, sent=True)
            message = redact(message)
            self._mark(reply_id, text, INTERRUPTED if interrupted or text else FAILED, message)
            if not started:
                yield ev.TurnStarted(self._chat_id, user_id or 0, reply_id)
            yield ev.Failed(self._chat_id, message, "".join(text), exc.exit_code, interrupted)
            return
        finally:
            if lock is not None:
                lock.release()
        notice = self._maybe_compact()
        if notice:
            yield notice

    @property
    def _chat_id(self) -> str:
        """The chat's id as `list` shows it (its `conv_…` id once it has one)."""
        assert self.conv is not None
        return self.conv.id

    def _server_copy_gone(self, exc: TermchatError) -> bool:
        """After a 404: if the server conversation was deleted, forget it, so the next turn
        starts a new one from this chat's history (`_ensure_remote`), unless the user switches
        to local mode first."""
        conv = self.conv
        if conv is None or not server_copy_gone(self.engine.api, exc, conv.remote_id):
            return False
        self.conv = self.store.update_conversation(conv, remote_id=None)
        return True

    def _maybe_compact(self) -> ev.Notice | None:
        """Compact automatically once the window passes the configured share of the context."""
        settings = self.engine.compaction
        if not settings or not getattr(settings, "enabled", False) or self.conv is None:
            return None
        if getattr(settings, "mode", "client") == "server":
            return None  # the server compacts through `context_management`
        window = self.engine.context_window(self.model)
        last = self.store.messages(self.conv, limit=1)
        usage = last[0].usage if last else None
        if not usage or not window:
            return None
        used = token_count(usage.get("input_tokens")) + token_count(usage.get("output_tokens"))
        if used < settings.threshold * window:
            return None
        from termchat.compaction import compact_conversation

        try:
            summary = compact_conversation(self.engine, self.conv)
        except TermchatError as exc:
            return ev.Notice(f"automatic compaction failed, nothing changed: {exc.one_line()}")
        self.conv = self.store.get_conversation(self.conv.id) or self.store.reload(self.conv)
        return ev.Notice(f"context passed {settings.threshold:.0%} of the model's window: {summary}")

    def _ensure_remote(self) -> ev.Notice | None:
        """Create the server conversation; without Conversations support, go local."""
        conv = self.conv
        assert conv is not None
        if self.engine.capabilities.conversations:
            # A chat that started in another mode carries its history into the new server
            # conversation (all but the prompt being sent now, which goes as the turn's input).
            earlier = [m for m in self.store.messages(conv) if m.status != STREAMING][:-1]
            try:
                remote = self.engine.api.create_conversation(
                    metadata={"title": conv.title[:512], "model": self.model, "client": "termchat"},
                    items=history.window(earlier) or None,
                )
            except NotSupportedError:
                self.engine.capabilities.conversations = False
            else:
                self.conv = self.store.update_conversation(conv, id=remote["id"], remote_id=remote["id"])
                return None
            self.mode = "local"
            self.conv = self.store.update_conversation(conv, mode="local")
            server = self.engine.api.base_url or "https://api.openai.com/v1"
            if not self.store.note_once(f"no conversations API at {server}"):
                return None  # said once already, to this machine's user
            return ev.Notice(
                "this server has no Conversations API; using local mode (the full history is sent each turn)"
            )
        self.mode = "local"
        self.conv = self.store.update_conversation(conv, mode="local")
        return None

    def estimate_request(self, prompt: str, options: TurnOptions | None = None) -> dict[str, Any]:
        """The request a turn with `prompt` would send now; nothing is saved or sent. A chat
        with no server state yet (new, or switching to `conversation`) sends its history."""
        return self._request([{"role": "user", "content": prompt}], options or TurnOptions(), unsaved=True)

    def _request(
        self, new_items: list[dict[str, Any]], options: TurnOptions, *, unsaved: bool = False
    ) -> dict[str, Any]:
        conv = self.conv
        assert conv is not None or unsaved
        engine = self.engine
        compaction = engine.compaction
        window = (
            engine.context_window(self.model)
            if compaction and getattr(compaction, "enabled", False) and getattr(compaction, "mode", "") == "server"
            else None
        )
        defaults = RequestDefaults(
            engine.instructions,
            engine.with_secrets,
            engine.is_reasoning_model(self.model),
            int(compaction.threshold * window) if window else None,
        )
        return build_request(
            mode=self.mode,
            model=None if self._prompt_chooses_model else self.model,
            settings=self.settings,
            conv=conv,
            transcript=lambda: self.store.messages(conv) if conv else [],
            new_items=new_items,
            options=options,
            defaults=defaults,
            unsaved=unsaved,
        )
