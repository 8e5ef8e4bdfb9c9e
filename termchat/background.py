"""Background jobs, headless: follow a job to its end, refresh, cancel.

A job starts as a turn like any other (`Session.submit`); its id, server and model are stored
before anything else, so it outlives the process that started it. Whatever sees a job's end
first (the `termchat jobs` refresh, `jobs wait`, the app's follower or its jobs screen) files
the output in the same step (`_settle`), once, so a job is never `completed` here without its
reply stored. A job is polled only on the server it was created on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from termchat import events as ev
from termchat.api import Api, same_server_form
from termchat.engine import Engine, Session
from termchat.errors import ApiError, NotFoundError, UsageError
from termchat.store import COMPLETE, FAILED, INCOMPLETE, INTERRUPTED, JOB_PENDING, JOB_TERMINAL, JobRow

PENDING = JOB_PENDING
TERMINAL = JOB_TERMINAL
ZDR_NOTE = "background mode stores the response on the server (store=true), so it is not Zero Data Retention compatible"
EXPIRED_MESSAGE = (
    "the server no longer has it (background results are kept about 10 minutes); the prompt is kept, send it again"
)


# -- which job, which server ------------------------------------------------------------------


def find_job(engine: Engine, job_id: str) -> JobRow:
    job = engine.store.job(job_id)
    if job is None:
        raise NotFoundError(f"unknown job '{job_id}': not in {engine.store.path}", hint="see `termchat jobs`")
    return job


def on_this_server(api: Api, job: JobRow) -> bool:
    """Whether `api` talks to the server `job` was created on (a job from before termchat
    recorded servers belongs to any)."""
    return job.base_url is None or same_server_form(job.base_url) == api.server


def _check_server(engine: Engine, job: JobRow) -> None:
    if not on_this_server(engine.api, job):
        raise UsageError(
            f"job {job.response_id} runs on {job.base_url}, not on {engine.api.server}",
            hint=f"follow it with --base-url {job.base_url}",
        )


def _session_for(engine: Engine, job: JobRow) -> Session | None:
    """The job's chat, or None once the user deleted it."""
    conv = engine.store.get_conversation(job.conversation_id) if job.conversation_id else None
    if conv is None:
        return None
    session = engine.session(conv)
    if job.model:
        session.model = job.model  # priced at the model that ran it, whatever the chat uses now
    return session


# -- a job's end: filed once, in one step -----------------------------------------------------


def record_failure(
    engine: Engine,
    job: JobRow,
    status: str,
    error: str,
    *,
    settled_ok: bool = False,
    response: dict[str, Any] | None = None,
) -> str:
    """Store a job's unhappy end (failed, cancelled, expired) on the job and its reply, keeping
    any partial text, and the usage `response` reports (a cancelled or failed job's tokens are
    billed too). The one place job errors are written: server text is cleaned here, before it
    is stored or shown. Returns the cleaned error."""
    error = engine.api.clean(error)
    reply_status = INTERRUPTED if status == "cancelled" else FAILED
    fields: dict[str, Any] = {"status": reply_status, "error": error}
    usage = None
    session = _session_for(engine, job) if response is not None and job.message_id else None
    priced = session.price(response) if session is not None and response is not None else None
    if session is not None and session.conv is not None and priced is not None:
        fields.update(priced[1])
        usage = (session.conv, priced[0].input_tokens, priced[0].output_tokens, priced[0].cost_usd)
    spend = orphan_spend(engine, job, response) if usage is None and session is None else None
    engine.store.file_reply(
        job.message_id or 0,
        fields,
        usage=usage,
        job=(job.response_id, status, error),
        settled_ok=settled_ok,
        spend=spend,
    )
    return error


def orphan_spend(engine: Engine, job: JobRow, response: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a job cost whose chat was deleted before it ended (`Store.file_reply`'s `spend`),
    priced at the model that ran it; None if the server reported no usage."""
    usage = response.get("usage") if response is not None else None
    if not isinstance(usage, dict):
        return None
    from termchat.pricing import turn_cost

    assert response is not None
    raw = response.get("output")
    output = [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
    model = job.model or str(response.get("model") or engine.model)
    try:
        cost = turn_cost(model, usage, output, overrides=engine.pricing)
    except (TypeError, ValueError, AttributeError):  # a usage object of the wrong shape
        return None
    return {"model": model, "usage": usage, "cost_usd": cost.total_usd, "tools_usd": cost.tools_usd}


def failure_line(job_id: str, status: str, error: str | None) -> str:
    """One line naming a job's unhappy end."""
    if status == "cancelled":
        return f"job {job_id} was cancelled"
    if status == "expired":
        return f"job {job_id} expired: {EXPIRED_MESSAGE}"
    return f"job {job_id} {status}: {error or 'no reason given'}"


def _settle(
    engine: Engine, job: JobRow, response: dict[str, Any] | None, *, settled_ok: bool = False
) -> Iterator[ev.Event]:
    """File a job's end from the server's answer (None: the server no longer has it)."""
    conv_id = job.conversation_id or ""
    status = "expired" if response is None else response.get("status")
    if status in ("completed", "incomplete") and response is not None:
        session = _session_for(engine, job)
        if session is not None and job.message_id and engine.store.message(job.message_id):
            yield from session.finish(response, job.message_id, [], {}, settled_ok=settled_ok)
            return
        # The chat was deleted: nothing to file the reply in, but say what it was (and count
        # what it cost: a delete gives no budget back).
        engine.store.file_reply(
            0, {}, job=(job.response_id, status, None), settled_ok=settled_ok, spend=orphan_spend(engine, job, response)
        )
        from termchat.history import message_text

        raw = response.get("output")
        output = raw if isinstance(raw, list) else []
        text = "".join(message_text(i) for i in output if isinstance(i, dict) and i.get("type") == "message")
        yield ev.Finished(conv_id, job.response_id, status, text)
        return
    if status == "expired":
        error = record_failure(engine, job, "expired", EXPIRED_MESSAGE, settled_ok=settled_ok)
    elif status == "cancelled":
        error = record_failure(engine, job, "cancelled", "cancelled", settled_ok=settled_ok, response=response)
    else:
        assert response is not None
        raw = response.get("error")
        message = raw.get("message") if isinstance(raw, dict) else None
        error = record_failure(
            engine, job, "failed", str(message or "the job failed"), settled_ok=settled_ok, response=response
        )
        status = "failed"
    yield ev.Failed(conv_id, failure_line(job.response_id, status, error), "", 1)


def _known_end(engine: Engine, job: JobRow) -> Iterator[ev.Event]:
    """A job already settled here: its stored reply or its failure; a reply never stored (a
    settled job from an older termchat) is fetched now."""
    conv_id = job.conversation_id or ""
    if job.status in ("completed", "incomplete"):
        reply = engine.store.message(job.message_id) if job.message_id else None
        if reply is not None and reply.status in (COMPLETE, INCOMPLETE):
            yield ev.Finished(conv_id, job.response_id, job.status, reply.content)
            return
        try:
            response: dict[str, Any] | None = engine.api.retrieve_response(job.response_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            response = None
        yield from _settle(engine, job, _checked(job, response), settled_ok=True)
        return
    yield ev.Failed(conv_id, failure_line(job.response_id, job.status, job.error), "", 1)


def _checked(job: JobRow, response: dict[str, Any] | None) -> dict[str, Any] | None:
    """A poll answer termchat can act on; anything else is an error that changes nothing."""
    if response is None:
        return None
    status = response.get("status")
    if status not in PENDING + TERMINAL or status == "expired":
        shown = str(status)[:40] if status is not None else "none"
        raise ApiError(
            f"the server answered the poll of job {job.response_id} with no usable "
            f"status ({shown!r}); the job is kept as it was"
        )
    return response


# -- following a job ----------------------------------------------------------------------------


class JobFollower:
    """Follows one job to its end: replays its stream, else polls with back-off, and files the
    end. `stop()` from any thread ends the following at once; the job goes on on the server."""

    def __init__(
        self,
        engine: Engine,
        job_id: str,
        *,
        poll: float = 0.5,
        max_poll: float = 5.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.engine = engine
        self.job = find_job(engine, job_id)
        self.poll = poll
        self.max_poll = max_poll
        self._sleep = sleep  # tests move the fake's clock here
        self._stopped = threading.Event()
        self._session: Session | None = None

    def stop(self) -> None:
        self._stopped.set()
        session = self._session
        if session is not None:
            session.stop()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def events(self) -> Iterator[ev.Event]:
        """JobStatus while pending, the reply's events as they arrive, then Finished or Failed
        (nothing after a `stop`). A reply that arrives whole (polled, or already stored) comes
        as one TextDelta before its Finished, so every view shows it the same way."""
        streamed = False
        for event in self._events():
            if isinstance(event, ev.TextDelta):
                streamed = True
            elif isinstance(event, ev.Finished) and event.text and not streamed:
                yield ev.TextDelta(event.text)
            yield event

    def _events(self) -> Iterator[ev.Event]:
        engine, job = self.engine, self.job
        _check_server(engine, job)
        if not job.pending:
            yield from _known_end(engine, job)
            return
        yield ev.JobStatus(job.response_id, job.status)
        session = _session_for(engine, job)
        self._session = session
        if self.stopped:
            return
        if session is not None and job.message_id:
            try:
                for event in session.resume(job.response_id, job.message_id, []):
                    if isinstance(event, ev.JobStatus):
                        engine.store.update_job(job.response_id, status=event.status)
                    yield event
                return
            except ApiError as exc:
                if self.stopped:
                    return
                if exc.status == 404:
                    yield from _settle(engine, job, None)
                    return
                # The server does not replay streams, or the stream broke: poll for the end.
        yield from self._poll()

    def _poll(self) -> Iterator[ev.Event]:
        engine, job = self.engine, self.job
        delay = self.poll
        last = job.status
        while not self.stopped:
            try:
                answer: dict[str, Any] | None = engine.api.retrieve_response(job.response_id)
            except ApiError as exc:
                if self.stopped:
                    return
                if exc.status != 404:
                    raise ApiError(
                        f"could not poll job {job.response_id}: {exc.one_line()}", status=exc.status
                    ) from None
                answer = None
            response = _checked(job, answer)
            status = str(response.get("status")) if response is not None else "expired"
            if status in TERMINAL:
                yield from _settle(engine, job, response)
                return
            if status != last:
                engine.store.update_job(job.response_id, status=status)
                yield ev.JobStatus(job.response_id, status)
                last = status
            if self._wait(delay):
                return
            delay = min(self.max_poll, delay * 1.6)

    def _wait(self, seconds: float) -> bool:
        if self._sleep is not None:
            self._sleep(seconds)
            return self.stopped
        return self._stopped.wait(seconds)


# -- listing and cancelling -------------------------------------------------------------------


def refresh(engine: Engine, jobs: list[JobRow] | None = None) -> list[str]:
    """Ask the server about every pending job of this server, filing the ones that ended.

    Returns one line per job whose poll failed (it is kept as it was)."""
    problems: list[str] = []
    for job in engine.store.jobs(pending=True) if jobs is None else jobs:
        if not job.pending or not on_this_server(engine.api, job):
            continue
        try:
            try:
                response = _checked(job, engine.api.retrieve_response(job.response_id))
            except ApiError as exc:
                if exc.status != 404:
                    raise
                response = None
            if response is None or response.get("status") in TERMINAL:
                for _ in _settle(engine, job, response):
                    pass
            elif response.get("status") != job.status:
                engine.store.update_job(job.response_id, status=response.get("status"))
        except ApiError as exc:
            problems.append(f"could not refresh job {job.response_id}: {exc.one_line()}")
    return problems


def cancel(engine: Engine, job_id: str) -> str:
    """Cancel a job on the server; returns its status now (a job that ended meanwhile is filed)."""
    job = find_job(engine, job_id)
    _check_server(engine, job)
    if not job.pending:
        return job.status
    try:
        response = engine.api.cancel_response(job_id)
    except ApiError as exc:
        if exc.status not in (400, 404, 409):
            raise
        # Gone, or it ended before the cancel arrived: file whatever end it had.
        refresh(engine, [job])
        now = engine.store.job(job_id)
        return now.status if now is not None else "expired"
    status = response.get("status") or "cancelled"
    if status in TERMINAL:
        for _ in _settle(engine, job, response):
            pass
    else:
        engine.store.update_job(job_id, status=status)
    return status


def describe(engine: Engine | None, job: JobRow, now: float | None = None) -> dict[str, Any]:
    """A job as `termchat jobs --json` shows it."""
    data = job.to_json()
    data["age_seconds"] = int((now or time.time()) - job.created_at)
    data["on_this_server"] = engine is None or on_this_server(engine.api, job)
    return data
