"""First run without credentials: say how to get going instead of failing on the first request,
and take an API key for this session right here (never stored)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Label, Markdown

from termchat.tui.widgets.footer import KeyFooter

SETUP_TEXT = """\
# Welcome to termchat

termchat needs an API to talk to, and none is configured yet.

**Use OpenAI**: paste an API key here and press Enter. termchat uses it until it quits and
never writes it anywhere.
"""

MORE_TEXT = """\
To keep the key for every run, set it in your shell's profile:

```sh
export OPENAI_API_KEY=sk-...
```

**Use another Responses-compatible server** (vLLM, Ollama, LM Studio, …), once or for good:

```sh
termchat --base-url http://localhost:8000/v1
export OPENAI_BASE_URL=http://localhost:8000/v1
```

**Just try it**: a built-in fake model, no key and no network:

```sh
termchat --demo
```

Press **Escape** to browse your saved chats anyway, or **Ctrl+Q** to quit.
"""


class SetupScreen(Screen[str | None]):
    """Dismisses with an API key to use for this session, or None (browse without one)."""

    BINDINGS = [
        Binding("escape", "browse", "Browse chats", id="setup_browse"),
        Binding("ctrl+q", "app.quit", "Quit", id="setup_quit"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="setup"):
            with Center():
                yield Markdown(SETUP_TEXT, id="setup-text")
            with Center():
                yield Input(placeholder="sk-…  then Enter (for this session only)", password=True, id="setup-key")
            with Center():
                yield Label("", id="setup-error")
            with Center():
                yield Markdown(MORE_TEXT, id="setup-more")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#setup-key", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        key = event.value.strip()
        if not key or any(c.isspace() or not c.isprintable() for c in key):
            self.query_one("#setup-error", Label).update(
                Content("That does not look like an API key (one word, like sk-…).")
            )
            return
        self.dismiss(key)

    def action_browse(self) -> None:
        self.dismiss(None)
