"""`termchat --background` and `termchat jobs ...`: the command-line face of background jobs.

stdout carries only what a script wants: the job id (`--background`), else the reply; status
lines go to stderr. A job that ends badly (failed, cancelled, expired, incomplete) is one line
on stderr and exit code 1.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from typing import Any

from termchat import events as ev
from termchat.errors import EXIT_INTERRUPTED, UsageError
from termchat.output import JsonWriter, PlainWriter, say
from termchat.redact import redact
from termchat.sanitize import safe_json, strip_control


def start_background(
    ctx: Any,
    session: Any,
    prompt: str,
    options: Any,
    writer: PlainWriter | JsonWriter,
    *,
    wait: bool,
    saved_id: int | None = None,
) -> int:
    from termchat import background

    notices: list[ev.Notice] = []
    job: ev.JobStarted | None = None
    for event in session.submit(prompt, options, saved_id=saved_id):
        if isinstance(event, ev.Notice):
            notices.append(event)  # said once the job is accepted; a refusal is one line
        elif isinstance(event, ev.Failed):
            say(event.message, level="error")
            return event.exit_code
        elif isinstance(event, ev.JobStarted):
            job = event
        elif isinstance(event, ev.TurnStarted) and isinstance(writer, JsonWriter):
            writer.handle(event)
    if job is None:  # pragma: no cover - submit always ends in JobStarted or Failed
        say("the server started no job", level="error")
        return 1
    for notice in notices:
        say(notice.message, level="note")
    if isinstance(writer, JsonWriter):
        writer.write(
            {"type": "job", "id": job.response_id, "status": job.status, "conversation_id": job.conversation_id}
        )
    elif not wait:
        sys.stdout.write(job.response_id + "\n")
        sys.stdout.flush()
    if not wait:
        say(
            f"job {job.response_id} {job.status}; `termchat jobs wait {job.response_id}` follows it "
            f"({background.ZDR_NOTE})"
        )
        return 0
    return _follow(
        session.engine,
        job.response_id,
        writer,
        announce=f"job {job.response_id} {job.status}; waiting for it (Ctrl+C stops waiting, the job goes on)",
    )


def _follow(engine: Any, job_id: str, writer: Any, announce: str | None = None) -> int:
    """Write a job's reply as it arrives; returns the exit code its end calls for."""
    from termchat.background import JobFollower

    follower = JobFollower(engine, job_id)
    try:
        if announce:
            say(announce)
        for event in follower.events():
            if isinstance(event, ev.Failed):
                writer.handle(event)
                say(event.message, level="error")
                return event.exit_code
            if isinstance(event, ev.Finished) and event.status == "incomplete":
                # The state line below says it; the writer's own note would be a second line.
                writer.handle(dataclasses.replace(event, status="completed"))
                say(
                    f"job {job_id} is incomplete ({event.reason or 'cut short'}): the partial reply is kept",
                    level="error",
                )
                return 1
            writer.handle(event)
    except KeyboardInterrupt:
        follower.stop()
        say(f"interrupted; job {job_id} goes on on the server: `termchat jobs wait {job_id}`")
        return EXIT_INTERRUPTED
    return 0


def list_jobs(ctx: Any, *, as_json: bool) -> int:
    from termchat import background
    from termchat.listing import relative_time

    engine = ctx.engine() if ctx.has_credentials else None
    if engine is not None and ctx.store.jobs(pending=True):
        for problem in background.refresh(engine):
            say(problem, level="warning")
    jobs = ctx.store.jobs()
    now = time.time()
    if as_json:
        sys.stdout.write(safe_json([background.describe(engine, j, now) for j in jobs], indent=2) + "\n")
        return 0
    if not jobs:
        say("no background jobs")
        return 0
    for job in jobs:
        line = (
            f"{job.response_id}  {job.status:<11}  {relative_time(job.created_at, now):>9}  "
            f"{job.conversation_id or '(chat deleted)'}"
        )
        if engine is not None and not background.on_this_server(engine.api, job):
            line += f"  (on another server: {job.base_url})"
        if job.error:
            line += f"  {redact(job.error)}"
        sys.stdout.write(strip_control(line) + "\n")
    return 0


def wait_job(ctx: Any, job_id: str | None, *, as_json: bool, every: bool = False) -> int:
    def writer() -> PlainWriter | JsonWriter:
        return JsonWriter(sys.stdout) if as_json else PlainWriter(sys.stdout, sys.stderr)

    engine = ctx.engine()
    if not every:
        if not job_id:
            raise UsageError("`termchat jobs wait` needs a job id, or --all (see `termchat jobs`)")
        return _follow(engine, job_id, writer())
    if job_id:
        raise UsageError("`termchat jobs wait --all` takes no job id")
    return _wait_all(engine, writer)


def _wait_all(engine: Any, writer: Any) -> int:
    from termchat import background
    from termchat.sanitize import safe_title

    pending = engine.store.jobs(pending=True)[::-1]  # oldest first
    here = [j for j in pending if background.on_this_server(engine.api, j)]
    for job in pending:
        if job not in here:
            say(f"job {job.response_id} runs on {job.base_url}: not followed from here", level="note")
    if not here:
        say("no pending jobs on this server")
        return 0
    code = 0
    for job in here:
        conv = engine.store.get_conversation(job.conversation_id) if job.conversation_id else None
        title = safe_title(conv.title or conv.id, 60) if conv else "(chat deleted)"
        say(f"job {job.response_id} ({title}):")
        result = _follow(engine, job.response_id, writer())
        if result == EXIT_INTERRUPTED:
            return result
        code = max(code, result)
    return code


def cancel_job(ctx: Any, job_id: str) -> int:
    from termchat import background

    status = background.cancel(ctx.engine(), job_id)
    say(f"job {job_id} {status}")
    return 0
