"""`termchat --background` and `termchat jobs ...`: the command-line face of background jobs."""

from __future__ import annotations

import sys
import time
from typing import Any

from termchat import events as ev
from termchat.output import JsonWriter, PlainWriter, say
from termchat.sanitize import safe_json


def start_background(ctx: Any, session: Any, prompt: str, options: Any,
                     writer: PlainWriter | JsonWriter, *, wait: bool) -> int:
    from termchat import background

    job_id, status = background.submit(session, prompt, options)
    if isinstance(writer, JsonWriter):
        writer.write({"type": "job", "id": job_id, "status": status, "conversation_id": session.conv.id})
    else:
        sys.stdout.write(job_id + "\n")
        sys.stdout.flush()
        say(f"job {job_id} {status}; `termchat jobs wait {job_id}` to follow it ({background.ZDR_NOTE})")
    if not wait:
        return 0
    return _follow(session.engine, job_id, writer)


def _follow(engine: Any, job_id: str, writer: PlainWriter | JsonWriter) -> int:
    from termchat import background

    code = 0
    for event in background.wait(engine, job_id):
        writer.handle(event)
        if isinstance(event, ev.Failed):
            say(event.message, level="error")
            code = event.exit_code
    return code


def list_jobs(ctx: Any, *, as_json: bool) -> int:
    from termchat import background
    from termchat.listing import relative_time

    jobs = ctx.store.jobs()
    if jobs and ctx.has_credentials:
        background.refresh(ctx.engine(), jobs)
        jobs = ctx.store.jobs()
    now = time.time()
    if as_json:
        sys.stdout.write(safe_json([background.describe(j, now) for j in jobs], indent=2) + "\n")
        return 0
    if not jobs:
        say("no background jobs")
        return 0
    for job in jobs:
        line = (f"{job.response_id}  {job.status:<10}  {relative_time(job.created_at, now):>9}  "
                f"{job.conversation_id or '-'}")
        if job.error:
            line += f"  {job.error}"
        sys.stdout.write(line + "\n")
    return 0


def wait_job(ctx: Any, job_id: str, *, as_json: bool) -> int:
    writer = JsonWriter(sys.stdout) if as_json else PlainWriter(sys.stdout, sys.stderr)
    return _follow(ctx.engine(), job_id, writer)


def cancel_job(ctx: Any, job_id: str) -> int:
    from termchat import background

    status = background.cancel(ctx.engine(), job_id)
    say(f"job {job_id} {status}")
    return 0
