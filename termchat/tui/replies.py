"""Sending prompts and showing replies: one thread worker per turn, streamed into a MessageView;
MCP approval requests asked in a dialog and answered by a follow-up turn. Mixed into `TermchatApp`.
"""

from __future__ import annotations

import gc
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

from termchat.sanitize import strip_control
from termchat.store import ConversationRow
from termchat.tui.widgets.prompt import PromptInput

if TYPE_CHECKING:
    from termchat import events as ev  # imported with the first reply: not needed to start
    from termchat.tui.turns import Turn, TurnUpdate
    from termchat.tui.widgets.message_view import MessageView


class ReplyActions:
    """Needs the attributes of `TermchatApp` (store, conv, turns, pane, prompt, ...)."""

    # -- sending ----------------------------------------------------------------------------

    async def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        await self.send_prompt(message.text)

    def _can_send(self, pk: int | None = None) -> bool:
        if not self.ctx.has_credentials:
            self.notify("no API configured: set OPENAI_API_KEY, use --base-url, or run `termchat --demo`",
                        severity="error", markup=False, timeout=8)
            return False
        busy = self.turns.get(pk) if pk is not None else self.current_turn()
        if busy is not None:
            self.notify("a reply is still streaming in this chat: Escape stops it", severity="warning",
                        markup=False)
            return False
        return True

    async def _ensure_conversation(self, prompt: str) -> tuple[ConversationRow, dict[str, Any], int | None]:
        """The chat on screen, with the tool panel's settings; a new chat is created together
        with its first prompt (whose message id is returned), so it never exists empty."""
        from termchat.engine import make_title

        tools, choice = (await self.ensure_tool_panel()).current()
        settings = {"tools": tools, "tool_choice": choice}
        saved_id = None
        if self.conv is None:
            self.conv, saved_id = self.store.create_conversation_with_prompt(
                prompt, mode=self.mode, model=self.model, title=make_title(prompt), settings=settings)
        elif self.pane.truncated:
            await self.show_conversation(self.conv)
        return self.conv, settings, saved_id

    async def send_prompt(self, prompt: str) -> None:
        if not prompt.strip() or not self._can_send() or self.hold_while_opening(prompt):
            return
        from termchat.tui.turns import Turn
        from termchat.tui.widgets.message_view import MessageView

        self.prompt.clear()
        conv, settings, saved_id = await self._ensure_conversation(prompt)
        prompt_view = await self.pane.append(MessageView("user", prompt, meta="just now"))
        await self._start_turn(Turn(conv.pk, prompt, prompt_view=prompt_view, saved_id=saved_id), conv,
                               model=self.model, mode=self.mode, settings=settings)

    async def _start_turn(self, turn: Turn, conv: ConversationRow, *, model: str, mode: str,
                          settings: dict[str, Any], items: list[dict[str, Any]] | None = None) -> None:
        """Show a streaming reply (when `conv` is on screen) and run `turn` in a thread worker."""
        from termchat.tui.turns import run_turn
        from termchat.tui.widgets.message_view import MessageView

        self.turns[conv.pk] = turn
        if self.conv is not None and self.conv.pk == conv.pk:
            pane = self.pane
            reply = await pane.append(MessageView("assistant", meta=model, streaming=True, items=items))
            reply.start_stream()
            turn.view = reply
            pane.anchor()
        self.chat_list.reload()
        if self.conv is not None and self.conv.pk == conv.pk:
            self.chat_list.mark_current(conv.pk)
        self.update_status()
        self.run_worker(partial(run_turn, self, turn, self.thread_engine(), conv,
                                model=model, mode=mode, settings=settings),
                        thread=True, group=f"turn-{conv.pk}", name=f"turn {conv.id}", exit_on_error=False)

    # -- MCP approvals ----------------------------------------------------------------------

    def ask_approvals(self, pk: int, requests: list[ev.ApprovalRequested]) -> None:
        """One dialog per request, then one turn that sends all the answers."""
        from termchat.tui.screens.approval import ApprovalScreen

        conv = self._row(pk)
        if conv is None:
            return
        decisions: dict[str, bool] = {}

        def ask(index: int) -> None:
            if index == len(requests):
                self.call_later(self.answer_approvals, pk, decisions)
                return
            request = requests[index]

            def answered(approve: bool | None) -> None:
                decisions[request.request_id] = bool(approve)
                ask(index + 1)

            self.push_screen(ApprovalScreen(request, chat=conv.title, index=index + 1, count=len(requests)),
                             answered)

        ask(0)

    async def answer_approvals(self, pk: int, decisions: dict[str, bool]) -> None:
        conv = self._row(pk)
        if conv is None or not decisions or not self._can_send(conv.pk):
            return
        approved = sum(decisions.values())
        self.notify(f"MCP: {approved} approved, {len(decisions) - approved} denied", markup=False)
        from termchat.tui.turns import Turn

        items = [{"type": "mcp_approval_response", "approval_request_id": rid, "approve": ok}
                 for rid, ok in decisions.items()]
        await self._start_turn(Turn(conv.pk, "", decisions=decisions), conv, model=conv.model,
                               mode=conv.mode, settings={}, items=items)

    async def on_turn_update(self, message: TurnUpdate) -> None:
        from termchat import events as ev
        from termchat.tui.turns import TurnDone

        turn, event = message.turn, message.event
        view: MessageView | None = turn.view
        if not self._sdk_frozen and "openai" in sys.modules:
            # The SDK is imported with the first request: its objects live as long as the app,
            # so keep them out of the full collections that long replies trigger (see __init__).
            self._sdk_frozen = True
            gc.freeze()
        if isinstance(event, ev.TextDelta):
            text = turn.sanitizer.feed(event.text)
            turn.text += text
            if view is not None and text:
                await view.write(text)
        elif isinstance(event, ev.TurnStarted):
            turn.reply_id = event.assistant_message_id
            if view is not None:
                view.message_id = event.assistant_message_id
            if turn.prompt_view is not None and event.user_message_id:
                turn.prompt_view.message_id = event.user_message_id  # (to edit it, say)
        elif isinstance(event, ev.Notice):
            self.notify(strip_control(event.message), markup=False, timeout=6)
        elif isinstance(event, (ev.ItemStarted, ev.ItemFinished)):
            if view is not None:
                await view.add_item(event.item_id, event.item, finished=isinstance(event, ev.ItemFinished))
        elif isinstance(event, ev.Citation):
            if view is not None:
                await view.add_citation(event.number, event.title, event.url)
        elif isinstance(event, ev.Finished):
            turn.approvals = list(event.approvals)  # asked once the turn is done
            tail = turn.sanitizer.flush()
            turn.text += tail
            if view is not None:
                await view.write(tail)
                status = "complete" if event.status == "completed" else "incomplete"
                await view.finish(status=status, final_text=event.text)
            if event.status == "incomplete":
                self.notify(f"the reply is incomplete ({event.reason or 'cut short'})", severity="warning",
                            markup=False)
        elif isinstance(event, ev.Failed):
            tail = turn.sanitizer.flush()
            turn.text += tail
            interrupted = event.interrupted or turn.stop_requested
            if view is not None:
                await view.write(tail)
                status = "interrupted" if interrupted or turn.text else "failed"
                await view.finish(status=status, error=event.message)
            if interrupted:
                self.notify("stopped: the partial reply is kept", markup=False)
            else:
                self.notify(strip_control(event.message), title="request failed", severity="error",
                            markup=False, timeout=10)
        elif isinstance(event, TurnDone):
            if self.turns.get(turn.pk) is turn:
                del self.turns[turn.pk]
            if self.quitting:
                return  # the widgets are going away; the store already has the reply
            if self.conv is not None and self.conv.pk == turn.pk:
                try:
                    self.conv = self.store.reload(self.conv)
                except Exception:
                    self.conv = None
                else:
                    # The engine may have changed the mode (no Conversations API: local).
                    self.mode = self.conv.mode
                    await self._show_auto_compaction()
            self.chat_list.reload()
            self.update_status()
            if turn.approvals and not turn.stop_requested:
                self.ask_approvals(turn.pk, turn.approvals)

    async def _show_auto_compaction(self) -> None:
        """The engine may compact after a turn (config threshold): show the marker it added."""
        last = self.store.messages(self.conv, limit=1)
        views = self.pane.views
        if last and last[0].role == "compaction" and not (views and views[-1].message_id == last[0].id):
            await self.show_conversation(self.conv)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            # Only on the main screen and while this chat streams; else the key passes on
            # (Escape closes dialogs, Ctrl+C copies in the prompt).
            return self.current_turn() is not None and len(self.screen_stack) == 1
        return True

    def action_stop(self) -> None:
        turn = self.current_turn()
        if turn is not None:
            turn.stop()
            self.update_status("stopping…")
