"""Background jobs, headless: submit a turn with `background=true`, then wait, resume or cancel it.

The response id is written to the store as soon as the server returns it, so a job outlives
the termchat process that started it; any later process can wait on it or cancel it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from termchat import events as ev
from termchat.engine import Engine, Session, TurnOptions
from termchat.errors import ApiError, NotFoundError, TermchatError
from termchat.store import FAILED, INTERRUPTED, STREAMING, JobRow

TERMINAL = ("completed", "failed", "cancelled", "incomplete", "expired")
ZDR_NOTE = ("background mode stores the response on the server (store=true), so it is not "
            "Zero Data Retention compatible")
EXPIRED_MESSAGE = ("the server no longer has this job (background results are kept about 10 minutes); "
                   "the prompt is kept, send it again")


def submit(session: Session, prompt: str, options: TurnOptions | None = None) -> tuple[str, str]:
    """Start a background turn; returns (response id, status). The prompt is saved first."""
    options = options or TurnOptions()
    options.background = True
    store = session.store
    session.save_prompt(prompt)
    reply_id = store.add_message(session.conv, "assistant", "", status=STREAMING)
    try:
        if session.mode == "conversation" and not session.conv.remote_id:
            session._ensure_remote()
        params = session._request([{"role": "user", "content": prompt}], options)
        response = session.engine.api.create_response(params)
    except TermchatError as exc:
        store.update_message(reply_id, status=FAILED, error=exc.one_line())
        raise
    response_id = response["id"]
    status = response.get("status") or "queued"
    store.add_job(response_id, session.conv, reply_id, status)
    store.update_message(reply_id, response_id=response_id)
    if status in ("completed", "incomplete"):
        # Servers without background mode (e.g. gpt-oss) just run the turn: file the result now.
        for _ in session._finish(response, reply_id, [], {}):
            pass
    return response_id, status


def _job(engine: Engine, job_id: str) -> JobRow:
    job = engine.store.job(job_id)
    if job is None:
        raise NotFoundError(f"unknown job '{job_id}'", hint="see `termchat jobs`")
    return job


def _session_for(engine: Engine, job: JobRow) -> Session:
    conv = engine.store.get_conversation(job.conversation_id) if job.conversation_id else None
    if conv is None:
        raise NotFoundError(f"the chat of job {job.response_id} was deleted")
    return engine.session(conv)


def wait(engine: Engine, job_id: str, *, poll: float = 0.5, max_poll: float = 5.0,
         sleep: Callable[[float], None] = time.sleep) -> Iterator[ev.Event]:
    """Follow a job to its end: resume its event stream, else poll with back-off."""
    job = _job(engine, job_id)
    session = _session_for(engine, job)
    reply_id = job.message_id or 0
    if job.status in TERMINAL:
        message = engine.store.message(reply_id) if reply_id else None
        yield ev.Finished(session.conv.id, job_id, job.status, message.content if message else "")
        return
    text: list[str] = []
    options = TurnOptions(background=True)
    try:
        stream = engine.api.resume_stream(job_id, job.last_sequence)
        yield from session.consume(stream, reply_id, text, options, job_id=job_id)
        return
    except ApiError as exc:
        if exc.status == 404:
            yield from _expired(engine, session, job, reply_id)
            return
        if text:
            session._mark(reply_id, text, INTERRUPTED, exc.one_line())
            yield ev.Failed(session.conv.id, exc.one_line(), "".join(text), exc.exit_code)
            return
        # No output yet: the server may not offer stream resumption; fall back to polling.
    delay = poll
    while True:
        try:
            response = engine.api.retrieve_response(job_id)
        except ApiError as exc:
            if exc.status == 404:
                yield from _expired(engine, session, job, reply_id)
                return
            raise
        status = response.get("status")
        engine.store.update_job(job_id, status=status)
        if status in ("completed", "incomplete"):
            yield from session._finish(response, reply_id, [], {})
            return
        if status in ("failed", "cancelled"):
            error = (response.get("error") or {}).get("message") or f"the job was {status}"
            engine.store.update_message(reply_id, status=FAILED if status == "failed" else INTERRUPTED,
                                        error=error)
            engine.store.update_job(job_id, status=status, error=error)
            yield ev.Failed(session.conv.id, f"job {job_id} {status}: {error}", "", 1)
            return
        sleep(delay)
        delay = min(max_poll, delay * 1.6)


def _expired(engine: Engine, session: Session, job: JobRow, reply_id: int) -> Iterator[ev.Event]:
    engine.store.update_job(job.response_id, status="expired", error=EXPIRED_MESSAGE)
    if reply_id:
        engine.store.update_message(reply_id, status=FAILED, error=EXPIRED_MESSAGE)
    yield ev.Failed(session.conv.id, f"job {job.response_id} expired: {EXPIRED_MESSAGE}", "", 1)


def cancel(engine: Engine, job_id: str) -> str:
    """Cancel a job on the server; returns its new status."""
    job = _job(engine, job_id)
    try:
        response = engine.api.cancel_response(job_id)
    except ApiError as exc:
        if exc.status == 404:
            engine.store.update_job(job_id, status="expired", error=EXPIRED_MESSAGE)
            return "expired"
        raise
    status = response.get("status") or "cancelled"
    engine.store.update_job(job_id, status=status)
    if job.message_id and status == "cancelled":
        engine.store.update_message(job.message_id, status=INTERRUPTED, error="cancelled")
    return status


def refresh(engine: Engine, jobs: list[JobRow]) -> dict[str, str]:
    """Ask the server for the status of unfinished jobs (for listings)."""
    statuses: dict[str, str] = {}
    for job in jobs:
        if job.status in TERMINAL:
            continue
        try:
            statuses[job.response_id] = engine.api.retrieve_response(job.response_id).get("status") or job.status
        except ApiError as exc:
            statuses[job.response_id] = "expired" if exc.status == 404 else job.status
        engine.store.update_job(job.response_id, status=statuses[job.response_id])
    return statuses


def describe(job: JobRow, now: float | None = None) -> dict[str, Any]:
    data = job.to_json()
    data["age_seconds"] = int((now or time.time()) - job.created_at)
    return data
