"""A turn's reply: the request streamed or started as a job, the reply saved as it grows and filed at its end."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Protocol

from termchat import events as ev
from termchat import history
from termchat.api import Api
from termchat.errors import ApiError, TermchatError
from termchat.store import COMPLETE, INCOMPLETE, ConversationRow, Store
from termchat.tools import memory_tier
from termchat.translate import StreamState, translate
from termchat.turn_pricing import MODEL_NAME, price
from termchat.turn_request import TurnOptions

SAVE_EVERY = 0.5  # seconds between saves of a streaming reply, so a crash keeps most of it


class ReplyDependencies(Protocol):
    """What a reply needs of the `Engine`: its store, API client and price overrides."""

    store: Store
    api: Api
    pricing: dict[str, Any] | None


class TurnReply:
    """`Session`'s half that runs a turn's request and files its reply (a mixin: the state is the session's)."""

    engine: ReplyDependencies
    conv: ConversationRow | None
    mode: str
    model: str
    settings: dict[str, Any]
    _stop: threading.Event
    _http: Any

    @property
    def store(self) -> Store:
        return self.engine.store

    def _submit(self, params: dict[str, Any], reply_id: int) -> Iterator[ev.Event]:
        """Start a background job; it is recorded, with its server and model, before anything else."""
        api = self.engine.api
        response = api.create_response(params)
        response_id = response.get("id")
        if not isinstance(response_id, str) or not response_id:
            raise ApiError("the server accepted the background request but named no job")
        status = response.get("status") or "queued"
        self.store.add_job(response_id, self.conv, reply_id, status, base_url=api.server, model=self.model)
        self.store.update_message(reply_id, response_id=response_id)
        assert self.conv is not None
        yield ev.JobStarted(self.conv.id, response_id, status, reply_id)
        if status in ("completed", "incomplete"):
            # Servers without background mode (e.g. gpt-oss) just run the turn: file it now. The
            # job was recorded with its end just above, so filing must not wait for it to be
            # unsettled (it would keep nothing: the reply stayed empty until `jobs wait`).
            yield from self.finish(response, reply_id, [], {}, settled_ok=True)

    def _run(
        self,
        params: dict[str, Any],
        reply_id: int,
        text: list[str],
        options: TurnOptions,
        carried: list[dict[str, Any]],
    ) -> Iterator[ev.Event]:
        stream = self.engine.api.stream_response(params, on_open=self._opened)
        try:
            yield from self.consume(stream, reply_id, text, options, carried=carried)
        finally:
            self._http = None

    def _opened(self, http: Any) -> None:
        self._http = http
        if self._stop.is_set():  # stopped while the request was being sent
            self.engine.api.abort(http)

    def consume(
        self,
        stream: Iterator[Any],
        reply_id: int,
        text: list[str],
        options: TurnOptions,
        job_id: str | None = None,
        carried: list[dict[str, Any]] | None = None,
    ) -> Iterator[ev.Event]:
        """Turn SDK stream events into domain events, saving the reply as it grows."""
        from termchat.reply_saver import ReplySaver

        store = self.store
        state = StreamState(text=text, response_id=job_id)
        saver = ReplySaver(store, reply_id, text, SAVE_EVERY, open_store=store.sibling)

        def on_created(response_id: str, status: str) -> None:
            store.update_message(reply_id, response_id=response_id)

        def on_text() -> None:
            saver.changed()

        try:
            yield from translate(stream, state, stopped=self._stop.is_set, on_created=on_created, on_text=on_text)
        finally:
            saver.close()
            close = getattr(stream, "close", None)
            if close:
                close()
        if state.failure:
            if state.final is not None and job_id is None:  # a job's end files its own usage, once
                self.count_usage(reply_id, state.final)
            raise ApiError(f"the response failed: {self.engine.api.clean(state.failure)}")
        if state.final is None:
            raise ApiError("the stream ended before the reply finished (no terminal event)")
        yield from self.finish(state.final, reply_id, text, state.items, carried or [], state.refusal)

    def finish(
        self,
        final: dict[str, Any],
        reply_id: int,
        text: list[str],
        items: dict[str, dict[str, Any]],
        carried: list[dict[str, Any]] | None = None,
        refusal: bool = False,
        *,
        settled_ok: bool = False,
    ) -> Iterator[ev.Event]:
        """File a finished response (completed or incomplete) as the reply: text, items, usage,
        cost, and its job's end, in one store transaction. The last step of every turn."""
        store = self.store
        conv = self.conv
        assert conv is not None
        raw_output = final.get("output")
        output = [i for i in raw_output if isinstance(i, dict)] if isinstance(raw_output, list) else []
        other_items = (carried or []) + ([i for i in output if i.get("type") != "message"] or list(items.values()))
        refusal = refusal or any(
            part.get("type") == "refusal"
            for i in output
            if i.get("type") == "message"
            for part in i.get("content") or []
            if isinstance(part, dict)
        )
        full_text = "".join(text)
        if not full_text:  # a non-streaming server, or text only in the final object
            full_text = "".join(history.message_text(i) for i in output if i.get("type") == "message")
        status = final.get("status") or "completed"
        priced = self.price(final)
        usage = priced[0] if priced else None
        response_id = final.get("id") if isinstance(final.get("id"), str) else None
        job = (response_id, status, None) if response_id and store.job(response_id) is not None else None
        store.file_reply(
            reply_id,
            {
                "content": full_text,
                "status": COMPLETE if status == "completed" else INCOMPLETE,
                "response_id": response_id,
                "items": other_items,
                **(priced[1] if priced else {}),
            },
            usage=(conv, usage.input_tokens, usage.output_tokens, usage.cost_usd) if usage else None,
            job=job,
            settled_ok=settled_ok,
        )
        if self.mode == "chain" and response_id:
            self.conv = store.update_conversation(conv, last_response_id=response_id)
        else:
            self.conv = store.reload(conv)
        ran_on = final.get("model")
        if (
            self._prompt_chooses_model
            and isinstance(ran_on, str)
            and MODEL_NAME.fullmatch(ran_on)
            and ran_on != self.conv.model
        ):  # the stored prompt's model: show that one
            self.model = ran_on
            self.conv = store.update_conversation(self.conv, model=ran_on)
        details = final.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        if usage is not None:
            yield usage
        approvals = [
            ev.ApprovalRequested(i.get("id", ""), i.get("server_label", ""), i.get("name", ""), i.get("arguments", ""))
            for i in output
            if i.get("type") == "mcp_approval_request"
        ]
        yield ev.Finished(
            self.conv.id,
            response_id,
            status,
            full_text,
            usage,
            reason,
            items=other_items,
            refusal=refusal,
            approvals=approvals,
        )

    @property
    def _prompt_chooses_model(self) -> bool:
        """A stored prompt runs on its own model unless --model was given with it."""
        return bool(self.settings.get("prompt")) and not self.settings.get("prompt_model")

    def price(self, response: dict[str, Any]) -> tuple[ev.Usage, dict[str, Any]] | None:
        """A response's usage with its cost (None: the price is unknown), and the reply's fields
        that record them; None if the server reported no usage."""
        return price(
            response,
            self.model,
            prompt_chooses_model=self._prompt_chooses_model,
            overrides=self.engine.pricing,
            tier=memory_tier(self.settings.get("tools") or []),
        )

    def count_usage(self, reply_id: int, response: dict[str, Any]) -> None:
        """File the usage of a reply that did not finish (failed, cancelled) if the server sent
        any: its tokens are billed all the same."""
        priced = self.price(response)
        if priced is not None and self.conv is not None:
            usage, fields = priced
            self.store.file_reply(
                reply_id, fields, usage=(self.conv, usage.input_tokens, usage.output_tokens, usage.cost_usd)
            )

    def _mark(self, reply_id: int, text: list[str], status: str, error: str) -> None:
        try:
            self.store.update_message(reply_id, content="".join(text), status=status, error=error)
        except TermchatError:
            pass  # the store itself is failing; the caller reports the original error
