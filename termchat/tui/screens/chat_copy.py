"""Copying and exporting from the chat screen: the selected message (else the last reply), a
code block, the whole chat as Markdown (tui/clipboard.py copies, or offers a file where the
terminal may not take the copy). The screen keeps the actions and the message handler and
delegates here; `view` is the `ChatView`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from termchat.tui.clipboard import copy_or_offer_file, export_name, save_to_file

if TYPE_CHECKING:
    from termchat.tui.widgets.code_fence import CodeFence

CODE_EXTENSIONS = {"python": "py", "sh": "sh", "bash": "sh", "javascript": "js", "rust": "rs", "go": "go", "sql": "sql"}


def copy_selected(view: Any) -> None:
    """Copy the selected message (else the last reply). Where the terminal may not take the
    copy, say so and offer to save it to a file instead."""
    target, what = view.pane.copy_target(view.focused)
    if target is None:
        view.notify("no reply to copy yet", markup=False)
        return
    title = view.conv.title if view.conv is not None else ""
    kind = "reply" if target.role == "assistant" else "message"
    copy_or_offer_file(view, target.text, what, export_name(f"{title} {kind}", kind))


def copy_code(view: Any, message: CodeFence.Copy) -> None:
    title = view.conv.title if view.conv is not None else ""
    extension = CODE_EXTENSIONS.get(message.language, "txt")
    name = export_name(f"{title} code", "code")[: -len(".md")] + f".{extension}"
    copy_or_offer_file(view, message.code, f"the {message.language} code", name)


def export_chat(view: Any) -> None:
    """Ask where to save this chat as Markdown (default: ./<its title>.md in the current
    directory), then write it there."""
    from termchat.export import export_markdown

    conv = view._current()
    if conv is None:
        return
    default = export_name(conv.title, "chat-" + "".join(c for c in conv.id if c.isalnum())[-8:])
    save_to_file(
        view,
        "Export this chat as Markdown to",
        default,
        lambda: export_markdown(view.store, view.store.reload(conv)),
        "the chat",
    )
