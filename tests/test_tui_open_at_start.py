"""The chat the app starts with (`--conversation ID`, `-c`): one this machine has is in the first
frame, built; the rest of the open (notes, the sync) follows; ids the store cannot resolve still
say why in one line and leave a new chat (issue 18). A message typed while the rest of the open
is on its way: tests/test_hostile_tui.py."""

from __future__ import annotations

import pytest

from conftest import TUI_NOW, wait_for
from first_frame import FirstFrameApp

SIZE = (120, 40)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class FirstFrame(FirstFrameApp):
    """What the transcript held in the first frame."""

    def first_frame(self) -> dict:
        pane = self.chat_screen.pane
        return {
            "texts": [view.text for view in pane.views],
            "built": [not pane._building(view) for view in pane.views],
            "title": str(pane.border_title),
        }


def notes(app, severity=None) -> list[str]:
    return [str(n.message) for n in app._notifications if severity is None or n.severity == severity]


def seed_chat(ctx, tui_seed, title: str = "Chat") -> str:
    (conv,) = tui_seed(
        ctx.store,
        [
            (
                title,
                "local",
                [
                    ("user", "question one"),
                    ("assistant", "first **answer**"),
                    ("user", "q2"),
                    ("assistant", "Zqxnewest answer\n\n```python\nprint(1)\n```"),
                ],
            )
        ],
    )
    return conv.id


@pytest.mark.parametrize("how", ["conversation", "continue"])
async def test_a_stored_chat_opened_at_start_is_in_the_first_frame(tui_context, tui_seed, how):
    ctx = tui_context()
    conv_id = seed_chat(ctx, tui_seed)
    kwargs = {"open_id": conv_id} if how == "conversation" else {"continue_last": True}
    app = FirstFrame(ctx, now=lambda: TUI_NOW, **kwargs)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.at_ready is not None)
        shown = app.at_ready
        assert shown["texts"] and shown["texts"][-1].startswith("Zqxnewest answer")  # the newest, first
        assert all(shown["built"])  # its Markdown built, not an empty body
        assert shown["title"] == "Chat"
        # then the rest of the open: the page before it fills the screen, the open ends
        screen = app.chat_screen
        await wait_for(pilot, lambda: screen._opening is None and len(screen.pane.views) == 4)
        assert [view.text for view in screen.pane.views][0] == "question one"
        assert screen.conv is not None and screen.conv.id == conv_id


async def test_an_unknown_id_at_start_says_why_and_leaves_a_new_chat(tui_context, tui_seed):
    ctx = tui_context()
    seed_chat(ctx, tui_seed)
    app = FirstFrame(ctx, open_id="tc_nosuchchat", now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: notes(app, "error"))
        await wait_for(pilot, lambda: app.chat_screen._opening is None)
        assert "tc_nosuchchat" in notes(app, "error")[0]
        assert app.chat_screen.conv is None and not app.chat_screen.pane.views


async def test_an_ambiguous_id_at_start_says_so_in_one_line(tui_context, tui_seed):
    ctx = tui_context()
    seed_chat(ctx, tui_seed, "One")
    seed_chat(ctx, tui_seed, "Two")
    app = FirstFrame(ctx, open_id="tc_", now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: notes(app, "error"))
        assert "matches several chats" in notes(app, "error")[0]
        assert "\n" not in notes(app, "error")[0]
        await wait_for(pilot, lambda: app.chat_screen._opening is None)
        assert app.chat_screen.conv is None
