"""First run without credentials: say how to get going instead of failing on the first request."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown

SETUP_TEXT = """\
# Welcome to termchat

termchat needs an API to talk to, and none is configured yet.

**Use OpenAI** — set your API key, then start termchat again:

```sh
export OPENAI_API_KEY=sk-...
termchat
```

**Use another Responses-compatible server** (vLLM, Ollama, LM Studio, …):

```sh
termchat --base-url http://localhost:8000/v1      # or: export OPENAI_BASE_URL=...
```

**Just try it** — a built-in fake model, no key and no network:

```sh
termchat --demo
```

Press **Escape** to browse your saved chats anyway, or **Ctrl+Q** to quit.
"""


class SetupScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "browse", "Browse chats", id="setup_browse"),
        Binding("ctrl+q", "app.quit", "Quit", id="setup_quit"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="setup"):
            with Center():
                yield Markdown(SETUP_TEXT, id="setup-text")
        yield Footer()

    def action_browse(self) -> None:
        self.dismiss(None)
