"""Tool toggles for the next request: web_search, file_search, code_interpreter, MCP, tool_choice.

The panel reads and writes a chat's `settings["tools"]` / `settings["tool_choice"]`; the tool
dicts are built by `termchat.tools`, the one place that knows the request shapes. Its "Pick…"
button (or Ctrl+R) lists the account's vector stores to choose from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select

from termchat.pricing import container_price
from termchat.tools import DEFAULT_MEMORY_TIER, MEMORY_TIERS, TOOL_CHOICES, mcp_tool, parse_tool
from termchat.tui.bindings import TOOL_PANEL_COMMANDS, to_bindings
from termchat.usd import format_usd


class Toggle(Checkbox):
    """A checkbox whose mark itself says on (✔) or off (blank): Textual's shows an X either way
    and tells them apart only by colour, which NO_COLOR and 16-colour terminals lose."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - overrides Textual's class attribute
        return "✔" if self.value else " "


class ToolPanel(VerticalScroll, can_focus=False):
    """Posts `Changed(tools, tool_choice)` whenever the user changes a toggle.

    The panel itself takes no focus (Tab goes from toggle to toggle); Escape posts `Leave`.
    """

    BINDINGS = to_bindings(TOOL_PANEL_COMMANDS)

    class Leave(Message):
        """The user wants to go back to the prompt."""

    class Changed(Message):
        def __init__(self, tools: list[dict[str, Any]], tool_choice: str) -> None:
            super().__init__()
            self.tools = tools
            self.tool_choice = tool_choice

    def __init__(self, mcp_servers: Iterable[Any] = (), *, pricing: Any = None, api: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mcp_servers = tuple(mcp_servers)
        self.pricing = pricing  # the config's [pricing] overrides, for the container fees shown
        self.api = api  # lists the vector stores; None: no API configured
        self._loading = False
        self._tier = DEFAULT_MEMORY_TIER  # the memory tier shown, as set by the panel itself
        # What the toggles said when last loaded or reported: Changed only when they differ.
        # (Selects report their first value as they mount: that must not reach the chat,
        # whose saved tools it would replace with none.)
        self._reported: tuple[list[dict[str, Any]], str] = ([], "auto")
        self.border_title = "Tools · next message"

    def compose(self) -> ComposeResult:
        yield Toggle("web_search", id="web_search", compact=True)
        yield Toggle("file_search", id="file_search", compact=True)
        with Horizontal(classes="vector-store-row"):
            yield Input(placeholder="none chosen", id="vector_stores", compact=True)
            yield Button("Pick…", id="pick_vector_stores", compact=True)
        yield Toggle("code_interpreter", id="code_interpreter", compact=True)
        yield Select(
            [(f"{t} memory · {format_usd(container_price(t, self.pricing))}", t) for t in MEMORY_TIERS],
            value=DEFAULT_MEMORY_TIER,
            allow_blank=False,
            id="memory",
            compact=True,
        )
        if self.mcp_servers:
            yield Label("MCP servers", classes="tool-heading")
        for index, server in enumerate(self.mcp_servers):
            yield Toggle(Content(f"mcp: {server.label}"), id=f"mcp-{index}", compact=True, classes="mcp")
        yield Label("tool_choice", classes="tool-heading")
        yield Select([(c, c) for c in TOOL_CHOICES], value="auto", allow_blank=False, id="tool_choice", compact=True)
        yield Label("", id="tool-error", classes="tool-error")

    def focus_first(self) -> None:
        """Move the keyboard focus to the first toggle."""
        self.query_one("#web_search", Checkbox).focus()
        self.scroll_home(animate=False)

    def action_leave(self) -> None:
        self.post_message(self.Leave())

    # -- state in and out -------------------------------------------------------------------

    def load(self, tools: list[dict[str, Any]], tool_choice: Any) -> None:
        """Show a chat's saved tools without posting `Changed`."""
        self._loading = True
        try:
            by_type = {t.get("type"): t for t in tools}
            self.query_one("#web_search", Checkbox).value = "web_search" in by_type
            fs = by_type.get("file_search")
            self.query_one("#file_search", Checkbox).value = fs is not None
            if fs is not None:
                self.query_one("#vector_stores", Input).value = ",".join(fs.get("vector_store_ids") or [])
            ci = by_type.get("code_interpreter")
            self.query_one("#code_interpreter", Checkbox).value = ci is not None
            tier = ((ci or {}).get("container") or {}).get("memory_limit") or DEFAULT_MEMORY_TIER
            self._tier = tier if tier in MEMORY_TIERS else DEFAULT_MEMORY_TIER
            self.query_one("#memory", Select).value = self._tier
            labels = {t.get("server_label") for t in tools if t.get("type") == "mcp"}
            for index, server in enumerate(self.mcp_servers):
                self.query_one(f"#mcp-{index}", Checkbox).value = server.label in labels
            choice = tool_choice if tool_choice in TOOL_CHOICES else "auto"
            self.query_one("#tool_choice", Select).value = choice
            self.query_one("#tool-error", Label).update("")
            self._reported = self.current()
        finally:
            self.call_after_refresh(self._done_loading)

    def _done_loading(self) -> None:
        self._loading = False

    def vector_store_ids(self) -> list[str]:
        """The ids typed in the vector store input, in order, without duplicates."""
        value = self.query_one("#vector_stores", Input).value
        return list(dict.fromkeys(v.strip() for v in value.replace(" ", ",").split(",") if v.strip()))

    def pick_vector_stores(self) -> None:
        """Choose file_search vector stores from the account's list (a dialog)."""
        from termchat.tui.screens.vector_stores import VectorStorePicker

        if self.api is None:
            self.notify("no API configured: the vector stores cannot be listed", severity="error", markup=False)
            return
        self.app.push_screen(VectorStorePicker(self.api, self.vector_store_ids()), self._picked)

    def _picked(self, ids: list[str] | None) -> None:
        if ids is None:
            return  # cancelled (or the list failed): the input stays as it was
        self.use_vector_stores(ids)
        if ids:
            self.notify(f"file_search on: {len(ids)} vector store{'s' if len(ids) != 1 else ''}", markup=False)
        else:
            self.notify("file_search off: no vector store chosen", markup=False)

    def use_vector_stores(self, ids: list[str]) -> None:
        """Put `ids` in the input and turn file_search on (off for none); posts one `Changed`."""
        with self.prevent(Checkbox.Changed, Input.Changed):
            self.query_one("#vector_stores", Input).value = ",".join(ids)
            self.query_one("#file_search", Checkbox).value = bool(ids)
        self._changed()

    def current(self) -> tuple[list[dict[str, Any]], str]:
        """The tool dicts and tool_choice the toggles describe (invalid parts are left out)."""
        tools: list[dict[str, Any]] = []
        error = ""
        if self.query_one("#web_search", Checkbox).value:
            tools.append(parse_tool("web_search"))
        if self.query_one("#file_search", Checkbox).value:
            ids = self.query_one("#vector_stores", Input).value.strip()
            if ids:
                tools.append(parse_tool(f"file_search:{ids}"))
            else:
                error = "file_search needs vector store ids"
        if self.query_one("#code_interpreter", Checkbox).value:
            tier = self.query_one("#memory", Select).value
            tools.append(parse_tool(f"code_interpreter:{tier}"))
        for index, server in enumerate(self.mcp_servers):
            if self.query_one(f"#mcp-{index}", Checkbox).value:
                tools.append(mcp_tool(server))
        choice = str(self.query_one("#tool_choice", Select).value)
        if self.is_mounted:
            self.query_one("#tool-error", Label).update(Content(error))
        return tools, choice

    def _changed(self) -> None:
        if self._loading:
            return
        tools, choice = self.current()
        if (tools, choice) != self._reported:
            self._reported = (tools, choice)
            self.post_message(self.Changed(tools, choice))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "pick_vector_stores":
            self.pick_vector_stores()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "memory" and event.value != self._tier:
            # Picking another memory tier means wanting the code interpreter: one Changed for
            # both. (The Changed of a value set by `load`, or at mount, carries `_tier`.)
            self._tier = str(event.value)
            with self.prevent(Checkbox.Changed):
                self.query_one("#code_interpreter", Checkbox).value = True
        self._changed()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._changed()

    def on_input_blurred(self, event: Input.Blurred) -> None:
        self._changed()
