"""The termchat app: themes, the keymap, the screen stack and start-up; the chat itself is
`ChatScreen`'s (screens/chat.py), its default screen."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.screen import Screen

from termchat import perf
from termchat.chats import Deletions
from termchat.tui.bindings import COMMANDS, keymap_conflicts, resolve_keymap, to_bindings
from termchat.tui.compat.app import app_is_closing, parse_css_when_needed, set_theme_before_first_css
from termchat.tui.screens.chat import ChatScreen, ChatStart

if TYPE_CHECKING:
    from termchat.app_context import AppContext
    from termchat.tui.job_watch import BackgroundJobs


# What the chat screen's first frame mounts: app.tcss styles these; app_later.tcss, parsed when
# anything else is first mounted, the rest (messages, the tool panel, dialogs).
FIRST_FRAME_WIDGETS = frozenset(
    {
        "ChatScreen",
        "KeyFooter",
        "StatusLine",
        "ConversationList",
        "FilterInput",
        "ChatOptions",
        "MessagePane",
        "Static",
        "AttachmentChips",
        "PromptInput",
    }
)
LATER_CSS = Path(__file__).parent / "app_later.tcss"


class TermchatApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "termchat"
    BINDINGS = to_bindings(c for c in COMMANDS if c.app)  # over every screen (the chat screen's too)

    def __init__(
        self,
        ctx: AppContext,
        *,
        open_id: str | None = None,
        continue_last: bool = False,
        model: str | None = None,
        mode: str | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | None = None,
        settings: dict[str, Any] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.config = ctx.config
        self.now = now
        self.deletions = Deletions(ctx)  # outlives the app: see termchat.tui.launch
        self.keymap, self._unknown_key_ids = resolve_keymap(dict(getattr(self.config, "keymap", {}) or {}))
        self._start = ChatStart(
            open_id=open_id, model=model, mode=mode, tools=tools, tool_choice=tool_choice, settings=settings
        )
        self._open_recent = not open_id and (continue_last or ctx.demo)  # -c, or the demo
        self._chat_screen: ChatScreen | None = None
        self._theme_ready = False
        self._saved_theme = self.config.theme  # the theme in the config file now
        self.termchat_theme_names: list[str] = []
        self._startup_notes: list[tuple[str, str]] = []  # (text, severity), shown once mounted
        self._register_themes()
        parse_css_when_needed(self, LATER_CSS, FIRST_FRAME_WIDGETS)

    # -- start-up ---------------------------------------------------------------------------

    def _register_themes(self) -> None:
        from termchat.tui.themes import DEFAULT_THEME, load_themes, theme_dirs

        themes, warnings = load_themes(theme_dirs(getattr(self.config, "config_path", None)))
        for theme in themes:
            self.register_theme(theme)
        self.termchat_theme_names = [t.name for t in themes]
        self._startup_notes += [(warning, "warning") for warning in warnings]
        wanted = self.config.theme
        if wanted not in self.available_themes:
            if wanted != DEFAULT_THEME:
                self._startup_notes.append((f"unknown theme '{wanted}'; using {DEFAULT_THEME}", "warning"))
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        set_theme_before_first_css(self, wanted)  # the CSS is parsed once, with it

    def get_default_screen(self) -> ChatScreen:
        start = self._start
        if self._open_recent:
            recent = self.ctx.store.most_recent()
            if recent is None:
                self._startup_notes.append(("no chats yet: starting a new one", "information"))
            else:
                start = start._replace(open_id=recent.id)
        self._chat_screen = ChatScreen(
            self.ctx, start, self.deletions, keymap=self.keymap, theme_names=self.termchat_theme_names, now=self.now
        )
        return self._chat_screen

    @property
    def background_jobs(self) -> BackgroundJobs | None:
        """The chat screen's background jobs (still there once the app has closed)."""
        return self._chat_screen.background_jobs if self._chat_screen is not None else None

    @property
    def chat_screen(self) -> ChatScreen:
        """The chat screen (the default screen, under any dialog)."""
        if self._chat_screen is None:
            raise RuntimeError("the app has not started yet")
        return self._chat_screen

    def on_mount(self) -> None:
        for binding_id in self._unknown_key_ids:
            self.notify(f"[keymap] {binding_id}: no such binding (see F1)", severity="warning", markup=False)
        for warning in keymap_conflicts(self.keymap, self.COMMAND_PALETTE_BINDING):
            self.notify(warning, severity="warning", markup=False)
        if "command_palette" in self.keymap:
            self.COMMAND_PALETTE_BINDING = self.keymap["command_palette"]
        self.set_keymap(self.keymap)
        self._theme_ready = True
        for text, severity in self._startup_notes:
            self.notify(text, severity=severity, markup=False)
        if self.ctx.has_credentials:
            _ = self.ctx.api  # build the client once, on this thread, before any worker uses it
        else:
            from termchat.tui.screens.setup import SetupScreen

            self.push_screen(SetupScreen(), self._use_session_key)

    def _use_session_key(self, api_key: str | None) -> None:
        """An API key typed on the set-up screen: used until termchat quits, never stored."""
        if not api_key:
            return
        self.ctx.use_session_key(api_key)
        _ = self.ctx.api  # build the client once, on this thread
        self.notify(
            "using that API key until termchat quits (not saved); to keep it, put "
            "export OPENAI_API_KEY=… in your shell's profile",
            markup=False,
            timeout=10,
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from termchat.tui.palette import without_ours

        return without_ours(super().get_system_commands(screen))

    def on_ready(self) -> None:
        perf.first_frame_painted()
        self.ctx.serve_demo()  # --demo's fake API: started after the first frame (see DemoServer)

    def on_unmount(self) -> None:
        perf.app_closed()

    @property
    def quitting(self) -> bool:
        """The app is shutting down: its widgets may already be gone."""
        return app_is_closing(self)

    # -- app-wide actions -------------------------------------------------------------------

    def action_theme(self) -> None:
        self.action_change_theme()

    def set_theme(self, name: str) -> None:
        self.theme = name

    def watch_theme(self, name: str) -> None:
        # Compared with the theme saved last, not the start-up one: switching back to that is a
        # change to save too.
        if not self._theme_ready or self._saved_theme == name:
            return
        from termchat.config import save_config
        from termchat.errors import TermchatError

        try:
            save_config(self.config.config_path, {"theme": name})
        except TermchatError as exc:
            self.notify(f"theme not saved: {exc.one_line()}", severity="warning", markup=False)
        else:
            self._saved_theme = name

    async def action_quit(self) -> None:
        if self._chat_screen is not None:
            self._chat_screen.stop_replies()  # and the job followers (the jobs go on on the server)
        self.exit(0)  # a job still being sent is waited for after the app closed (launch.run_app)
        self.deletions.commit_all()  # their server deletes: after the app has closed (launch.run_app)
