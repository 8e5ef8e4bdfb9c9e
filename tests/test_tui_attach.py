"""The app's attachments and editor, driven with Pilot against the fake API: Ctrl+A and its
path prompt, `@path` completion and sending, the chips, Ctrl+E with $EDITOR set to a script."""

from __future__ import annotations

import os

import pytest

from termchat.tui.app import TermchatApp
from termchat.tui.screens.attach import AttachDialog
from termchat.tui.widgets.attachment_chips import AttachmentChip

from conftest import TUI_NOW, wait_for

SIZE = (120, 40)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def make_app(ctx) -> TermchatApp:
    return TermchatApp(ctx, now=lambda: TUI_NOW)


def _sent(api) -> list[dict]:
    return [r.body for r in api.requests if r.method == "POST" and r.path == "/v1/responses"]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "notes.md").write_text("# Notes\nhello\n", encoding="utf-8")
    (folder / "shot.png").write_bytes(PNG)
    (folder / "blob.bin").write_bytes(b"\x00\x01\x02")
    monkeypatch.chdir(folder)
    return folder


async def _attach(app, pilot, typed: str, *, tab: bool = False) -> None:
    await pilot.press("ctrl+a")
    await wait_for(pilot, lambda: isinstance(app.screen, AttachDialog))
    await pilot.press(*typed)
    if tab:
        await pilot.press("tab")
    await pilot.press("enter")


async def test_ctrl_a_attaches_with_completion_and_the_file_goes_with_the_next_message(tui_context, tui_api, workdir):
    ctx = tui_context()
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.chat_screen
        await _attach(app, pilot, "no", tab=True)  # Tab completes "no" to notes.md
        await wait_for(pilot, lambda: app.screen is screen and len(screen.chips.attachments) == 1)
        assert screen.chips.display and app.focused is screen.prompt
        chip = screen.query_one(AttachmentChip)
        assert str(chip.label).startswith("notes.md · text")
        await pilot.press(*"read it", "enter")
        await wait_for(pilot, lambda: len(screen.pane.views) == 2 and not screen.pane.views[1].streaming)
        assert screen.chips.attachments == [] and not screen.chips.display
        first = screen.pane.views[0]
        assert first.attachments == ["notes.md (text, 14 bytes)"]
        assert "I received 1 attachment" in screen.pane.views[1].text
    (body,) = _sent(tui_api)
    assert body["input"][-1]["content"][1] == {
        "type": "input_text",
        "text": '<file name="notes.md">\n# Notes\nhello\n\n</file>',
    }
    (user, _reply) = ctx.store.messages(ctx.store.most_recent())
    assert [a["name"] for a in user.attachments] == ["notes.md"]


async def test_the_dialog_refuses_a_file_that_cannot_be_sent_and_escape_cancels(tui_context, tui_api, workdir):
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await _attach(app, pilot, "blob.bin")
        problem = app.screen.query_one("#attach-problem")
        await wait_for(pilot, lambda: "not an image" in str(problem.render()))
        assert isinstance(app.screen, AttachDialog)  # still open, to fix the path
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.chat_screen)
        assert app.chat_screen.chips.attachments == []
    assert _sent(tui_api) == []


async def test_pressing_a_chip_takes_the_file_off(tui_context, tui_api, workdir):
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        screen = app.chat_screen
        await _attach(app, pilot, "shot.png")
        await wait_for(pilot, lambda: len(screen.chips.attachments) == 1)
        await pilot.click(AttachmentChip)
        await wait_for(pilot, lambda: screen.chips.attachments == [])
        assert not screen.chips.display


async def test_at_path_completes_with_tab_and_sends_the_file(tui_context, tui_api, workdir):
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        screen = app.chat_screen
        await pilot.press(*"what is in @sh", "tab")
        assert screen.prompt.text == "what is in @shot.png"
        assert app.focused is screen.prompt
        await pilot.press("?", "enter")  # "@shot.png?" still names the file
        await wait_for(pilot, lambda: len(screen.pane.views) == 2 and not screen.pane.views[1].streaming)
        assert screen.pane.views[0].attachments == [f"shot.png (image, {len(PNG):,} bytes)"]
    (body,) = _sent(tui_api)
    parts = body["input"][-1]["content"]
    assert parts[0] == {"type": "input_text", "text": "what is in @shot.png?"}
    assert parts[1]["type"] == "input_image" and parts[1]["image_url"].startswith("data:image/png;base64,")


async def test_tab_without_at_still_moves_on(tui_context, workdir):
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "tab")
        assert app.focused is not app.chat_screen.prompt


async def test_an_at_path_that_cannot_be_sent_stops_the_send_and_keeps_the_prompt(tui_context, tui_api, workdir):
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"look @blob.bin and @alice", "enter")
        await pilot.pause()
        assert app.chat_screen.prompt.text == "look @blob.bin and @alice"
        assert app.chat_screen.pane.views == [] or all(v.role != "user" for v in app.chat_screen.pane.views)
    assert _sent(tui_api) == []


def _editor_script(tmp_path, body: str) -> str:
    script = tmp_path / "fake-editor"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o700)
    return str(script)


async def test_ctrl_e_composes_in_the_editor_on_a_private_temp_file(tui_context, tmp_path, monkeypatch):
    seen = tmp_path / "seen"
    monkeypatch.setenv(
        "EDITOR",
        _editor_script(
            tmp_path,
            f"""
echo "$1" > {seen}
stat -c %a "$1" >> {seen}
cat "$1" >> {seen}
printf 'written in the editor\\nsecond line\\n' > "$1"
""",
        ),
    )
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"draft", "ctrl+e")
        await wait_for(pilot, lambda: app.chat_screen.prompt.text == "written in the editor\nsecond line")
        assert app.focused is app.chat_screen.prompt
    path, mode, draft = seen.read_text().split("\n", 2)
    assert mode == "600" and draft == "draft"
    assert os.path.basename(path).startswith("termchat-prompt-") and not os.path.exists(path)


async def test_an_editor_that_fails_leaves_the_prompt_as_it_was(tui_context, tmp_path, monkeypatch):
    monkeypatch.setenv("EDITOR", _editor_script(tmp_path, 'echo ruined > "$1"\nexit 3\n'))
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"keep me", "ctrl+e")
        await pilot.pause()
        assert app.chat_screen.prompt.text == "keep me"
        assert any("status 3" in str(n.message) for n in app._notifications)


async def test_a_missing_editor_is_one_notice(tui_context, tmp_path, monkeypatch):
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"keep me", "ctrl+e")
        await pilot.pause()
        assert app.chat_screen.prompt.text == "keep me"
        assert any("cannot run the editor" in str(n.message) for n in app._notifications)


async def test_stored_attachments_show_under_the_prompt_when_a_chat_opens(tui_context, tui_api):
    from termchat.attachments import Attachment

    ctx = tui_context()
    conv = ctx.store.create_conversation(mode="local", model="gpt-5.2", title="with files")
    record = Attachment("paper.pdf", "pdf", "application/pdf", b"%PDF-1.4").record("file-abc")
    ctx.store.add_message(conv, "user", "summarise", attachments=[record])
    ctx.store.add_message(conv, "assistant", "done")
    app = TermchatApp(ctx, now=lambda: TUI_NOW, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.chat_screen.pane.views) == 2)
        assert app.chat_screen.pane.views[0].attachments == ["paper.pdf (pdf, 8 bytes, file-abc)"]
