"""What the user can do to a chat from keys and the palette: rename, delete/undo, model, mode,
compact, background jobs, copy, export, theme, help. Mixed into `TermchatApp`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from termchat.sanitize import safe_title, strip_control
from termchat.store import ConversationRow
from termchat.tui.messages import ChatChanged, ServerDeleted
from termchat.tui.widgets.conversation_list import ConversationList

if TYPE_CHECKING:
    from termchat.tui.widgets.tool_panel import ToolPanel

UNDO_SECONDS = 10.0  # a deleted chat can be brought back this long
EXIT_DELETE_TIMEOUT = 10.0  # a server delete left for after the app closed waits this long at most


@dataclass
class PendingDelete:
    """A chat deleted from view, kept in the store until its undo window passes."""

    conv: ConversationRow
    timer: Any
    remote: bool = False  # also delete its server conversation when committed


@dataclass
class ServerDelete:
    """The server side of a committed "delete with its server conversation", and its outcome."""

    title: str       # already made safe (safe_title)
    remote_id: str
    note: str = ""   # the outcome, one line, once known
    severity: str = "information"
    shown: bool = False  # notified in the app; else printed once the app has closed


class ChatActions:
    """Needs the attributes of `TermchatApp` (store, conv, chat_list, pane, ...)."""

    # -- chat actions -----------------------------------------------------------------------

    def _target(self, pk: int | None = None) -> ConversationRow | None:
        conv = self._row(pk) if pk is not None else self.conv
        if conv is None:
            self.notify("no chat selected: this is a new chat", severity="warning", markup=False)
        return conv

    def on_conversation_list_action(self, message: ConversationList.Action) -> None:
        if message.action in ("delete", "delete_remote"):
            self.delete_chat(message.pk, remote=message.action == "delete_remote")
        elif message.action == "rename":
            self.rename_chat(message.pk)

    def action_rename(self) -> None:
        self.rename_chat(None)

    def rename_chat(self, pk: int | None) -> None:
        from termchat.tui.screens.dialogs import TextPrompt

        conv = self._target(pk)
        if conv is None:
            return

        def done(value: str | None) -> None:
            if value is None or not value.strip():
                return
            row = self.store.update_conversation(conv, title=safe_title(value, max_len=120))
            if self.conv is not None and self.conv.pk == row.pk:
                self.conv = row
            self.chat_list.reload()
            self.notify(f"renamed to “{row.title}”", markup=False)
            if row.remote_id:
                self._rename_remote(row.remote_id, row.title)

        self.push_screen(TextPrompt("Rename chat", conv.title), done)

    @work(thread=True, group="rename-remote", exit_on_error=False)
    def _rename_remote(self, remote_id: str, title: str) -> None:
        from termchat.errors import TermchatError

        try:
            self.ctx.api.update_conversation(remote_id, {"title": title[:512]})
        except TermchatError:
            pass  # the local title is what the list shows; the server copy is a courtesy

    def action_delete(self) -> None:
        self.delete_chat(None)

    def action_delete_remote(self) -> None:
        self.delete_chat(None, remote=True)

    def _key_label(self, binding_id: str) -> str:
        """The first key bound to `binding_id` now (after `[keymap]`), as the help screen shows it."""
        from termchat.tui.bindings import ALL_COMMANDS, display_keys

        defaults = {c.id: c.key for c in ALL_COMMANDS} | {"undo_delete": "shift+f8"}
        return display_keys(self.keymap.get(binding_id, defaults.get(binding_id, ""))).split(", ")[0]

    def delete_chat(self, pk: int | None, *, remote: bool = False) -> None:
        """Hide a chat now and delete it when the undo window has passed; with `remote`, its
        server conversation too (in a worker, once committed)."""
        conv = self._target(pk)
        if conv is None:
            return
        turn = self.turns.get(conv.pk)
        if turn is not None:
            turn.stop()
        timer = self.set_timer(UNDO_SECONDS, partial(self._commit_delete, conv.pk))
        self.pending_deletes[conv.pk] = PendingDelete(conv, timer, remote=remote)
        self.chat_list.hidden.add(conv.pk)
        self.chat_list.reload()
        title = safe_title(conv.title or conv.id, 60)
        undo = f"undo: {self._key_label('undo_delete')} or Ctrl+P → Undo delete ({int(UNDO_SECONDS)} s)"
        if not conv.remote_id:
            note = f"deleted “{title}”{' (it has no server conversation)' if remote else ''} · {undo}"
        elif remote:
            note = f"deleted “{title}”; its server conversation goes too when the undo time is up · {undo}"
        else:
            note = (f"deleted “{title}” here; its server conversation is kept · {undo}\n"
                    f"to delete that too: undo, then {self._key_label('delete_remote')}; "
                    f"later: termchat rm --remote {strip_control(conv.remote_id)}")
        self.notify(note, markup=False, timeout=UNDO_SECONDS)
        if self.conv is not None and self.conv.pk == conv.pk:
            self.call_later(self.new_chat)

    def _commit_delete(self, pk: int) -> None:
        entry = self.pending_deletes.pop(pk, None)
        if entry is None:
            return
        conv = entry.conv
        try:
            remote_id = self.store.reload(conv).remote_id  # a reply stopped by the delete may have set it
        except Exception:
            remote_id = conv.remote_id
        try:
            self.store.delete_conversation(conv)
        finally:
            if not self.quitting:
                self.chat_list.hidden.discard(pk)
        if entry.remote and remote_id:
            job = ServerDelete(safe_title(conv.title or conv.id, 60), remote_id)
            self.server_deletes.append(job)
            if not self.quitting:
                self._server_delete_worker(job)
            # else: the app is closing; `finish_server_deletes` does it once it has

    @work(thread=True, group="delete-remote", exit_on_error=False)
    def _server_delete_worker(self, job: ServerDelete) -> None:
        self._delete_on_server(job)
        self.post_message(ServerDeleted(job))

    @staticmethod
    def _kept_on_server(job: ServerDelete, why: str) -> str:
        remote_id = strip_control(job.remote_id)
        return (f"“{job.title}” was deleted here, but its server conversation {remote_id} was not: "
                f"{why} · to retry: termchat rm --remote {remote_id}")

    def _delete_on_server(self, job: ServerDelete, timeout: float | None = None) -> None:
        """Delete `job`'s server conversation (blocking: in a worker, or after the app closed)
        and set its outcome. The local chat is already gone, whatever happens here."""
        from termchat.errors import ApiError, TermchatError

        remote_id = strip_control(job.remote_id)
        try:
            if not self.ctx.has_credentials:
                raise TermchatError("no API configured")
            self.ctx.api.delete_conversation(job.remote_id, timeout=timeout)
        except ApiError as exc:
            if exc.status == 404:
                job.note = f"note: the server no longer has {remote_id} (“{job.title}”); nothing left to delete"
            else:
                job.note, job.severity = self._kept_on_server(job, exc.one_line()), "error"
        except TermchatError as exc:
            job.note, job.severity = self._kept_on_server(job, exc.one_line()), "error"
        except Exception as exc:  # never a traceback, never an exception's text (it may hold a key)
            job.note, job.severity = self._kept_on_server(job, type(exc).__name__), "error"
        else:
            job.note = f"deleted “{job.title}” on the server too ({remote_id})"

    def on_server_deleted(self, message: ServerDeleted) -> None:
        job = message.job
        if job.shown:
            return
        job.shown = True
        if job in self.server_deletes:
            self.server_deletes.remove(job)
        self.notify(strip_control(job.note), severity=job.severity, markup=False, timeout=8)

    def finish_server_deletes(self, write: Callable[[str], Any]) -> None:
        """Once the app has closed: do the server deletes it left (deleted at quit), and print
        every outcome it could not show. Each waits `EXIT_DELETE_TIMEOUT` at most; Ctrl+C skips."""
        interrupted = False
        for job in list(self.server_deletes):
            if job.shown:
                continue
            if not job.note and not interrupted:
                write(f"termchat: deleting the server conversation {strip_control(job.remote_id)} "
                      f"(“{job.title}”)…\n")
                try:
                    self._delete_on_server(job, timeout=EXIT_DELETE_TIMEOUT)
                except KeyboardInterrupt:
                    interrupted = True
            if not job.note:
                job.note, job.severity = self._kept_on_server(job, "interrupted"), "error"
            job.shown = True
            prefix = "termchat: error: " if job.severity == "error" else "termchat: "
            write(prefix + strip_control(job.note) + "\n")
        self.server_deletes.clear()

    async def action_undo_delete(self) -> None:
        if not self.pending_deletes:
            self.notify("nothing to undo", markup=False)
            return
        pk = next(reversed(self.pending_deletes))
        entry = self.pending_deletes.pop(pk)
        entry.timer.stop()
        conv = entry.conv
        self.chat_list.hidden.discard(pk)
        self.chat_list.reload()
        untouched = "; its server conversation was not touched" if entry.remote and conv.remote_id else ""
        self.notify(f"restored “{safe_title(conv.title or conv.id, 60)}”{untouched}", markup=False)
        self.open_conversation(conv.id)

    def commit_pending_deletes(self) -> None:
        """Delete now every chat still in its undo window (quitting). Server deletes start in a
        worker while the app runs; after it has closed, `finish_server_deletes` does them."""
        for pk in list(self.pending_deletes):
            self._commit_delete(pk)

    def action_switch_model(self) -> None:
        from termchat.config import MODELS
        from termchat.tui.screens.dialogs import Picker

        choices = [(m.name, f"{m.name:<12} {m.summary}") for m in MODELS]
        if self.model not in {m.name for m in MODELS}:
            choices.insert(0, (self.model, f"{self.model:<12} (current)"))
        self.push_screen(Picker("Model for this chat", choices, self.model),
                         lambda name: self.set_model(name) if name else None)

    def set_model(self, name: str) -> None:
        self.model = name
        if self.conv is not None:
            self.conv = self.store.update_conversation(self.conv, model=name)
        self.update_status()
        self.notify(f"model: {name}", markup=False)

    def action_switch_mode(self) -> None:
        from termchat.config import STATE_MODES
        from termchat.tui.screens.dialogs import Picker

        labels = {"conversation": "server keeps the conversation (Conversations API)",
                  "chain": "previous_response_id chain, stored responses",
                  "local": "full history sent each turn (stateless)"}
        choices = [(m, f"{m:<13} {labels.get(m, '')}") for m in STATE_MODES]
        self.push_screen(Picker("State mode for this chat", choices, self.mode),
                         lambda mode: self.set_mode(mode) if mode else None)

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        if self.conv is not None:
            self.conv = self.store.update_conversation(self.conv, mode=mode)
        self.update_status()
        self.notify(f"state mode: {mode}", markup=False)

    def on_tool_panel_changed(self, message: ToolPanel.Changed) -> None:
        if self.conv is None:
            return  # a new chat saves its tools with the first message
        settings = dict(self.conv.settings)
        settings.update(tools=message.tools, tool_choice=message.tool_choice)
        self.conv = self.store.update_conversation(self.conv, settings=settings)

    async def action_pick_vector_stores(self) -> None:
        from termchat.tui.screens.vector_stores import VectorStorePicker

        if len(self.screen_stack) > 1:
            return  # not on top of another dialog
        if not self.ctx.has_credentials:
            self.notify("no API configured: the vector stores cannot be listed", severity="error",
                        markup=False)
            return
        panel = await self.ensure_tool_panel()
        self.push_screen(VectorStorePicker(self.ctx.api, panel.vector_store_ids()), self._use_vector_stores)

    async def on_tool_panel_pick_vector_stores(self, message: ToolPanel.PickVectorStores) -> None:
        await self.action_pick_vector_stores()

    def _use_vector_stores(self, ids: list[str] | None) -> None:
        if ids is None:
            return  # cancelled (or the list failed): the input stays as it was
        self.tool_panel.use_vector_stores(ids)
        if ids:
            self.notify(f"file_search on: {len(ids)} vector store{'s' if len(ids) != 1 else ''}",
                        markup=False)
        else:
            self.notify("file_search off: no vector store chosen", markup=False)

    def action_compact(self) -> None:
        conv = self._target()
        if conv is None or not self._can_send():
            return
        self.notify("compacting…", markup=False)
        self._compact_worker(conv)

    @work(thread=True, group="compact", exit_on_error=False)
    def _compact_worker(self, conv: ConversationRow) -> None:
        from termchat.compaction import compact_conversation
        from termchat.errors import TermchatError

        engine = self.thread_engine()
        try:
            note, severity = compact_conversation(engine, engine.store.reload(conv)), "information"
        except TermchatError as exc:
            note, severity = exc.one_line(), "error"
        finally:
            engine.store.close()
        self.post_message(ChatChanged(conv.pk, note, severity))

    async def on_chat_changed(self, message: ChatChanged) -> None:
        self.notify(strip_control(message.note), severity=message.severity, markup=False, timeout=8)
        self.chat_list.reload()
        if self.conv is not None and self.conv.pk == message.pk and self.current_turn() is None:
            await self.show_conversation(self.store.reload(self.conv))

    async def action_send_background(self) -> None:
        """Ctrl+G: the prompt goes as a background job; its chat and reply show at once."""
        from termchat.tui.widgets.message_view import MessageView

        prompt = self.prompt.text
        if not prompt.strip():
            self.notify("type a prompt first: Ctrl+G sends it as a background job", markup=False)
            return
        if not self._can_send():
            return
        self.prompt.clear()
        conv, settings, saved_id = await self._ensure_conversation(prompt)
        await self.pane.append(MessageView("user", prompt, meta="just now"))
        reply = await self.pane.append(MessageView("assistant", meta=self.model))
        self.pane.anchor()
        self.chat_list.mark_current(conv.pk)
        self.background_jobs.send(conv, reply, prompt, model=self.model, mode=self.mode, settings=settings,
                                  saved_id=saved_id)

    def action_jobs(self) -> None:
        from termchat.tui.screens.jobs import JobsScreen

        self.push_screen(JobsScreen(now=self.now),
                         lambda ident: self.open_conversation(ident) if ident else None)

    def action_copy_reply(self) -> None:
        from termchat.tui.widgets.message_view import MessageView

        selected = self.focused if isinstance(self.focused, MessageView) else None
        view = selected or self.pane.last_reply()
        if view is None:
            self.notify("no reply to copy yet", markup=False)
            return
        self.copy_to_clipboard(view.text)
        what = "the selected message" if selected else "the last reply"
        self.notify(f"copied {what} ({len(view.text):,} characters)", markup=False)

    def action_select_message(self, step: int) -> None:
        """Move the selection through the transcript (from the prompt: the newest message)."""
        views = [v for v in self.pane.views if v.role != "compaction"]
        if not views:
            return
        current = views.index(self.focused) if self.focused in views else len(views)
        index = min(max(current + step, 0), len(views) - 1)
        views[index].focus()
        views[index].scroll_visible()

    def action_export(self) -> None:
        from termchat.errors import TermchatError
        from termchat.export import export_markdown
        from termchat.paths import write_private_file

        conv = self._target()
        if conv is None:
            return
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in conv.id)
        path = Path.cwd() / f"termchat-{name}.md"
        try:
            write_private_file(path, export_markdown(self.store, self.store.reload(conv)).encode("utf-8"))
        except (OSError, TermchatError) as exc:
            self.notify(f"export failed: {exc}", severity="error", markup=False)
            return
        self.notify(f"exported to {path}", markup=False, timeout=8)

    def action_theme(self) -> None:
        self.action_change_theme()

    def set_theme(self, name: str) -> None:
        self.theme = name

    def watch_theme(self, name: str) -> None:
        if not self._theme_ready or self.config.theme == name:
            return
        from termchat.config import save_config
        from termchat.errors import TermchatError

        try:
            save_config(self.config.config_path, {"theme": name})
        except TermchatError as exc:
            self.notify(f"theme not saved: {exc.one_line()}", severity="warning", markup=False)

    def action_help(self) -> None:
        from termchat.tui.screens.help import HelpScreen

        if len(self.screen_stack) == 1:
            self.push_screen(HelpScreen(self.keymap))

    async def action_quit(self) -> None:
        self.background_jobs.stop()  # never waited for: the jobs go on on the server
        for turn in list(self.turns.values()):
            turn.stop()
        self.exit(0)  # a job still being sent is waited for after the app closed (launch.run_app)
        self.commit_pending_deletes()  # server deletes: after the app has closed (launch.run_app)
