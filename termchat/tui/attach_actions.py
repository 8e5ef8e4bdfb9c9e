"""The chat screen's files and editor: Ctrl+A attaches a file (a chip by the prompt), `@path`
in a prompt attaches that file too, and Ctrl+E writes the prompt in $EDITOR.

Every file is read and checked when it is attached (the dialog refuses what cannot be sent)
or, for `@path`, when the prompt is sent: one that cannot be sent stops the send, says why,
and leaves the prompt and the chips as they were.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from termchat.sanitize import strip_control

if TYPE_CHECKING:
    from termchat.attachments import Attachment

# `@path` at the start of the prompt or after a space; the path runs to the next space.
MENTION = re.compile(r"(?<!\S)@(\S+)")
_TRAILING = ".,;:!?)]}'\""


def mentioned_files(prompt: str) -> list[str]:
    """The paths of existing files a prompt names as `@path`, in order, each once (a mention
    that names no file, like `@alice`, is just text)."""
    found: list[str] = []
    for match in MENTION.finditer(prompt):
        path = match.group(1)
        for candidate in (path, path.rstrip(_TRAILING)):
            if candidate and os.path.isfile(os.path.expanduser(candidate)):
                if candidate not in found:
                    found.append(candidate)
                break
    return found


def sending_line(attachment: Attachment) -> str:
    """A file under the prompt just sent (its upload, if any, is still to come)."""
    return f"{strip_control(attachment.name, keep_newlines=False)} ({attachment.kind}, {attachment.size:,} bytes)"


class AttachActions:
    """Mixed into ChatScreen (which has `chips`, `prompt`, `notify` and `app`)."""

    chips: Any
    prompt: Any
    app: Any
    notify: Any

    def action_attach_file(self) -> None:
        from termchat.tui.screens.attach import AttachDialog

        self.app.push_screen(AttachDialog(), self._attached)

    async def _attached(self, attachment: Attachment | None) -> None:
        if attachment is not None:
            await self.chips.add(attachment)
        self.prompt.focus()

    def action_compose_in_editor(self) -> None:
        from termchat.tui.editor import compose

        composed = compose(self.app, self.prompt.text)
        if composed.text is None:
            self.notify(composed.problem, severity="warning", markup=False)
        else:
            self.prompt.text = composed.text
            self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()

    def files_to_send(self, prompt: str) -> list[Attachment] | None:
        """The chips' files, then those the prompt names as `@path`; None (after saying why)
        if one of those cannot be sent."""
        from termchat.attachments import read_attachment
        from termchat.errors import UsageError

        files = list(self.chips.attachments)
        try:
            files += [read_attachment(path) for path in mentioned_files(prompt)]
        except UsageError as exc:
            self.notify(
                exc.one_line().replace("nothing was sent", "nothing was sent yet"),
                severity="error",
                markup=False,
                timeout=8,
            )
            return None
        return files

    def give_back_files(self, files: list[Attachment]) -> None:
        """A send that failed with nothing back: its files return as chips, with its text."""
        if not self.chips.attachments:
            for attachment in files:
                self.app.call_later(self.chips.add, attachment)
