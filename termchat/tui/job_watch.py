"""The app's side of background jobs: it follows every pending job of the open store (started
here or by an earlier termchat), shows them in their chats and in the chat list, and says when
one ends (a toast, and the terminal bell unless `[notify] bell = false`).

Each job is followed by `background.JobFollower` in a daemon thread that posts `JobUpdate`
messages; only the UI thread touches widgets. Quitting stops the followers and never waits for
one: the job goes on on the server and is picked up at the next start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.message import Message

from termchat.sanitize import safe_title, strip_control

if TYPE_CHECKING:
    from termchat.store import ConversationRow, JobRow
    from termchat.tui.widgets.message_view import MessageView

TICK = 1.0  # seconds between updates of the "queued 12s" labels


class JobUpdate(Message):
    """A job moved on. `event`: JobStarted / Failed / Notice from the submit (with `pk`), or
    JobStatus / Finished / Failed from its follower; `problem`: following it stopped early."""

    def __init__(self, job_id: str, event: Any = None, *, pk: int | None = None, problem: str | None = None) -> None:
        super().__init__()
        self.job_id = job_id
        self.event = event
        self.pk = pk
        self.problem = problem


def elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


class Followers:
    """One daemon thread per followed job; `stop_all` ends them at once (the jobs go on)."""

    def __init__(self, post: Callable[[Message], Any], make_engine: Callable[[], Any]) -> None:
        self._post = post
        self._make_engine = make_engine
        self._followers: dict[str, Any] = {}  # job id -> its JobFollower (None while it starts)
        self._lock = threading.Lock()
        self.closed = False

    def follow(self, job_id: str) -> None:
        with self._lock:
            if self.closed or job_id in self._followers:
                return
            self._followers[job_id] = None
        threading.Thread(target=self._run, args=(job_id,), name=f"follow {job_id}", daemon=True).start()

    def following(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._followers

    def stop_all(self) -> None:
        with self._lock:
            self.closed = True
            followers = [f for f in self._followers.values() if f is not None]
        for follower in followers:
            follower.stop()

    def _run(self, job_id: str) -> None:
        from termchat import events as ev
        from termchat.background import JobFollower
        from termchat.errors import TermchatError

        engine = self._make_engine()
        try:
            follower = JobFollower(engine, job_id)
            with self._lock:
                if self.closed:
                    return
                self._followers[job_id] = follower
            for event in follower.events():
                if isinstance(event, (ev.JobStatus, ev.Finished, ev.Failed)):
                    self._post(JobUpdate(job_id, event))
        except TermchatError as exc:
            if not self.closed:
                self._post(JobUpdate(job_id, problem=exc.one_line()))
        except Exception as exc:  # never let a follower die silently: say it stopped
            if not self.closed:
                self._post(JobUpdate(job_id, problem=f"unexpected error: {type(exc).__name__}: {exc}"))
        finally:
            with self._lock:
                self._followers.pop(job_id, None)
            engine.store.close()


class BackgroundJobs:
    """What the app knows and shows of pending jobs. `screen` is the ChatScreen (its store,
    chat list, pane, `show_conversation`, `notify`); its workers' engines come from `ctx`."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.followers = Followers(screen.post_message, screen.ctx.thread_engine)
        self.pending: dict[str, JobRow] = {}  # job id -> row, for jobs not ended yet
        self.sending: dict[int, MessageView] = {}  # chat pk -> the reply view of a job being sent
        self.problems: dict[str, str] = {}  # job id -> why it is no longer followed
        self._sends: list[threading.Thread] = []
        self._timer: Any = None

    # -- what is pending -----------------------------------------------------------------------

    def start(self) -> None:
        """Follow every pending job of the store that runs on this app's server."""
        if not self.screen.ctx.has_credentials:
            return
        for job in self.screen.store.jobs(pending=True):
            self._track(job)
        self._changed()

    def _track(self, job: JobRow) -> None:
        from termchat.background import on_this_server

        self.pending[job.response_id] = job
        if on_this_server(self.screen.ctx.api, job):
            self.followers.follow(job.response_id)

    def running_chats(self) -> set[int]:
        pks = set(self.sending)
        for job in self.pending.values():
            conv = self.screen.store.get_conversation(job.conversation_id) if job.conversation_id else None
            if conv is not None:
                pks.add(conv.pk)
        return pks

    def label(self, job: JobRow) -> str:
        from termchat.background import on_this_server

        if job.response_id in self.problems:
            return f"background job: not followed ({self.problems[job.response_id]})"
        if not on_this_server(self.screen.ctx.api, job):
            return f"background job on {strip_control(job.base_url or '')}: not followed from this server"
        status = job.status.replace("_", " ")
        return f"running in background ({status} {elapsed(self.screen.now() - job.created_at)})"

    def status_note(self, pk: int | None) -> str:
        """For the status line: the open chat's job, if it has one."""
        if pk is None:
            return ""
        if pk in self.sending:
            return "background job: sending…"
        for job in self.pending.values():
            conv = self.screen.store.get_conversation(job.conversation_id) if job.conversation_id else None
            if conv is not None and conv.pk == pk:
                return f"background job {job.status.replace('_', ' ')}"
        return ""

    def decorate(self, views: list[MessageView]) -> None:
        """Label the reply views of pending jobs (instead of "interrupted")."""
        by_reply = {job.message_id: job for job in self.pending.values() if job.message_id}
        for view in views:
            if view.message_id is None:
                continue  # a prompt, or the reply of a job still being sent (labelled by then)
            job = by_reply.get(view.message_id)
            label = self.label(job) if job is not None else None
            if view.job != label:
                view.job = label
                view.refresh_header()

    def _changed(self) -> None:
        """Re-mark the chat list, relabel the open chat, and tick while anything is pending."""
        screen = self.screen
        if screen.closing:
            return
        screen.chat_list.running = self.running_chats()
        screen.chat_list.reload()
        self.decorate(screen.pane.views)
        screen.update_status()
        if (self.pending or self.sending) and self._timer is None:
            self._timer = screen.set_interval(TICK, self._tick)
        elif not (self.pending or self.sending) and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        if not self.screen.closing:
            self.decorate(self.screen.pane.views)

    # -- sending (Ctrl+G) ------------------------------------------------------------------------

    def send(
        self,
        conv: ConversationRow,
        view: MessageView,
        prompt: str,
        *,
        model: str,
        mode: str,
        settings: dict[str, Any],
        saved_id: int | None = None,
        attachments: list[Any] | None = None,
    ) -> None:
        """Send `prompt` as a job of `conv`, its reply shown in `view` from now on.

        The request runs in a daemon thread, not a Textual worker: quitting never waits on it
        inside the app, where a Ctrl+C would only cancel the app's task. `finish_sending` waits
        for it once the app has closed, so the job's id is stored when the server accepts it."""
        view.job = "background job: sending to the server…"
        view.refresh_header()
        self.sending[conv.pk] = view
        self._changed()
        thread = threading.Thread(
            target=self._submit,
            args=(conv, prompt, model, mode, settings, saved_id, attachments or []),
            name=f"send job of {conv.id}",
            daemon=True,
        )
        self._sends.append(thread)
        thread.start()

    def _submit(
        self,
        conv: ConversationRow,
        prompt: str,
        model: str,
        mode: str,
        settings: dict[str, Any],
        saved_id: int | None = None,
        attachments: list[Any] | None = None,
    ) -> None:
        from termchat import events as ev
        from termchat.engine import TurnOptions
        from termchat.errors import TermchatError

        post = self.screen.post_message
        engine = self.screen.ctx.thread_engine()
        try:
            session = engine.session(engine.store.reload(conv), model=model, mode=mode, settings=settings)
            for event in session.submit(prompt, TurnOptions(attachments=attachments or []), saved_id=saved_id):
                if isinstance(event, ev.JobStarted):
                    post(JobUpdate(event.response_id, event, pk=conv.pk))
                elif isinstance(event, (ev.Failed, ev.Notice)):
                    post(JobUpdate("", event, pk=conv.pk))
        except TermchatError as exc:
            post(JobUpdate("", ev.Failed(conv.id, exc.one_line(), "", exc.exit_code), pk=conv.pk))
        except Exception as exc:  # never let it die silently: the reply view waits for an answer
            post(JobUpdate("", ev.Failed(conv.id, f"unexpected error: {type(exc).__name__}: {exc}", "", 1), pk=conv.pk))
        finally:
            engine.store.close()

    def finish_sending(self, write: Callable[[str], Any]) -> None:
        """After the app closed: wait for jobs still being sent (a Ctrl+C gives up on them; their
        prompts are kept)."""
        pending = [thread for thread in self._sends if thread.is_alive()]
        if pending:
            write(
                "termchat: waiting for the server to accept the background job… (Ctrl+C gives up; the prompt is kept)\n"
            )
        for thread in pending:
            thread.join()

    async def on_update(self, message: JobUpdate) -> None:
        from termchat import events as ev

        event = message.event
        if message.problem is not None:
            self.problems[message.job_id] = message.problem
            self.screen.notify(
                f"stopped following background job {message.job_id}: {message.problem}. "
                "It goes on on the server: Ctrl+B, r to refresh.",
                severity="warning",
                markup=False,
                timeout=10,
            )
            self._changed()
        elif isinstance(event, ev.JobStarted):
            await self._started(message.pk, event)
        elif isinstance(event, ev.Notice):
            self.screen.notify(strip_control(event.message), markup=False, timeout=6)
        elif isinstance(event, ev.Failed) and not message.job_id:  # the submit itself failed
            view = self.sending.pop(message.pk, None) if message.pk is not None else None
            if view is not None:
                view.job = None
                await view.finish(status="failed", error=event.message)
            self.screen.notify(
                strip_control(event.message),
                title="background job not started",
                severity="error",
                markup=False,
                timeout=10,
            )
            self._changed()
        elif isinstance(event, ev.JobStatus):
            job = self.pending.get(message.job_id)
            if job is not None and job.status != event.status:
                from dataclasses import replace

                self.pending[message.job_id] = replace(job, status=event.status)
                self._changed()
        elif isinstance(event, (ev.Finished, ev.Failed)):
            await self._ended(message.job_id, event)

    async def _started(self, pk: int | None, event: Any) -> None:
        from termchat.background import ZDR_NOTE

        view = self.sending.pop(pk, None) if pk is not None else None
        job = self.screen.store.job(event.response_id)
        if view is not None:
            view.message_id = event.reply_id
        if job is not None and job.pending:
            self._track(job)
            self.screen.notify(
                f"background job {event.response_id} {event.status}: Ctrl+B lists jobs. Note: {ZDR_NOTE}.",
                markup=False,
                timeout=8,
            )
        self._changed()
        if job is not None and not job.pending and pk is not None:  # a server that ran it at once
            self.screen.notify(
                f"background job {event.response_id} finished (the server ran it at once)", markup=False, timeout=8
            )
            await self._show_end(pk)

    async def _ended(self, job_id: str, event: Any) -> None:
        from termchat import events as ev

        job = self.pending.pop(job_id, None)
        self.problems.pop(job_id, None)
        conv = self.screen.store.get_conversation(job.conversation_id) if job and job.conversation_id else None
        title = safe_title(conv.title or conv.id, 60) if conv else "a deleted chat"
        if isinstance(event, ev.Failed):
            self.screen.notify(
                strip_control(event.message),
                title=f"background job: “{title}”",
                severity="error",
                markup=False,
                timeout=10,
            )
        else:
            note = " (incomplete)" if event.status == "incomplete" else ""
            self.screen.notify(f"background job finished{note}: “{title}”", markup=False, timeout=8)
        if self.screen.config.bell:
            self.screen.app.bell()
        self._changed()
        if conv is not None:
            await self._show_end(conv.pk)

    async def _show_end(self, pk: int) -> None:
        """The open chat shows the stored reply (unless a reply streams in it right now)."""
        screen = self.screen
        if screen.closing or screen.conv is None or screen.conv.pk != pk or screen.current_turn() is not None:
            return
        await screen.show_conversation(screen.store.reload(screen.conv))

    def stop(self) -> None:
        self.followers.stop_all()
