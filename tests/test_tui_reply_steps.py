"""Text that comes faster than the screen shows it is shown in bounded steps (reply_stream)."""

from __future__ import annotations

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW

SIZE = (100, 30)


def _backlog(chars: int) -> str:
    paragraph = "word " * 80 + "\n\n"
    return paragraph * (chars // len(paragraph) + 1)


async def _streaming_view(app):
    from termchat.tui.widgets.message_view import MessageView

    view = await app.chat_screen.pane.append(MessageView("assistant", streaming=True))
    view.start_stream()
    return view


async def test_a_backlog_is_shown_in_steps_and_all_of_it_by_the_end(tui_context, monkeypatch):
    from termchat.tui.widgets import reply_stream
    from termchat.tui.widgets.message_body import MessageBody

    appended: list[int] = []
    real_append = MessageBody.append

    def append(self, markdown):
        appended.append(len(markdown))
        return real_append(self, markdown)

    monkeypatch.setattr(MessageBody, "append", append)
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = await _streaming_view(app)
        text = _backlog(6 * reply_stream.STEP_CHARS)  # arrives at once (a fast server, a replay)
        await view.write(text)
        await view.finish(status="complete")
        await pilot.pause()
        shown = "".join(body.source for body in view.bodies)
        assert shown == text
        assert len(appended) >= 6 and max(appended) <= reply_stream.STEP_CHARS
        assert len(view.bodies) == len(list(reply_stream.split_segments(text)))
