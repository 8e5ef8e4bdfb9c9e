"""The rows of the chat list: fixed two-line options, drawn cheaply and paged as they scroll."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.content import Content
from textual.message import Message
from textual.strip import Strip
from textual.widgets.option_list import Option

from termchat.tui.bindings import LIST_COMMANDS, to_bindings
from termchat.tui.compat.app import handle_queued_first, route_key
from termchat.tui.compat.widgets import FixedHeightOptionList

LOAD_MORE_MARGIN = 20  # rows from the end at which the next page is fetched
ROW_HEIGHT = 2  # a title line and a meta line, cropped (never wrapped) to the list width
_BOLD = RichStyle(bold=True)
_DIM = RichStyle(dim=True)
_MATCH = RichStyle(bold=True, underline=True)


class ChatOption(Option):
    """One chat row: its two lines are kept as plain text so the list can draw them cheaply.

    A chat found by its messages has `message_id` (the matching message) and an excerpt of it as
    its second line, the match between `match` = (start, end) offsets.
    """

    def __init__(
        self, title: str, meta: str, id: str, *, message_id: int | None = None, match: tuple[int, int] | None = None
    ) -> None:
        super().__init__(Content.assemble((title, "bold"), "\n", (meta, "dim")), id=id)
        self.lines = (title, meta)
        self.message_id = message_id
        self.match = match


class ChatOptions(FixedHeightOptionList):
    """An OptionList of fixed two-line `ChatOption` rows that asks for the next page as the user
    nears its end.

    Every row is `ROW_HEIGHT` lines, so the line index is built without measuring any row, and a
    row is drawn straight from its two strings into strips cached by (text, style, width, index):
    a filter that replaces the options redraws only the visible rows, and rows it has drawn before
    (the same chat at the same place) come from the cache.

    Picking a chat (Enter, a click) calls `on_pick` at once, to move the focus before the keys
    typed after Enter in the same burst are routed. A printable key goes to `on_type`
    (type-to-filter), which moves the focus too: the keys of its burst that reach this list after
    that are routed again, to where the focus is. Only a binding of this list itself keeps a
    printable key (none by default; a user's `[keymap]` may ask for one): the screen's and the
    app's printable keys (`?` for help) would otherwise take a filter word's characters.

    Enter and the moving keys are priority bindings, run as the app takes the key (in the order
    typed, with the filter's Enter and Down), once the keys routed here before have been handled;
    if one of those moved the focus away (a letter, to the filter), the key is routed again.
    """

    BINDINGS = [
        *to_bindings(LIST_COMMANDS),
        *(
            Binding(key, f"list_key('{key}', '{action}')", show=False, priority=True)
            for key, action in (
                ("enter", "select"),
                ("up", "cursor_up"),
                ("down", "cursor_down"),
                ("home", "first"),
                ("end", "last"),
                ("pageup", "page_up"),
                ("pagedown", "page_down"),
            )
        ),
    ]
    OPTION_HEIGHT = ROW_HEIGHT

    class NearEnd(Message):
        """The highlight or the scroll position is near the last loaded row."""

    class DeleteRequested(Message):
        """Delete the chat `pk` (with its server conversation: `remote`)."""

        def __init__(self, pk: int, *, remote: bool) -> None:
            super().__init__()
            self.pk = pk
            self.remote = remote

    class RenameRequested(Message):
        """Rename the chat `pk`."""

        def __init__(self, pk: int) -> None:
            super().__init__()
            self.pk = pk

    def __init__(
        self,
        *args,
        on_pick: Callable[[], None] | None = None,
        on_type: Callable[[str], None] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._row_cache: LRUCache[tuple, list[Strip]] = LRUCache(1024)
        self._on_pick = on_pick
        self._on_type = on_type

    async def action_list_key(self, key: str, action: str) -> None:
        await handle_queued_first(self)
        if self.screen.focused is self:
            await self.run_action(action)
        else:
            await route_key(self.app, events.Key(key, "\r" if key == "enter" else None))

    def action_select(self) -> None:
        highlighted = self.highlighted_option
        super().action_select()
        if highlighted is not None and not highlighted.disabled and self._on_pick is not None:
            self._on_pick()

    async def on_key(self, event: events.Key) -> None:
        if self.screen.focused is not self:  # typed in the burst of a key that moved the focus away
            event.prevent_default()
            event.stop()
            await route_key(self.app, event)
        elif self._on_type is not None and event.is_printable and event.character and not self._binds(event.key):
            event.prevent_default()
            event.stop()
            self._on_type(event.character)

    def _binds(self, key: str) -> bool:
        """Whether `key` runs a binding of this list (after the user's `[keymap]`)."""
        binding = self.screen.active_bindings.get(key)
        return binding is not None and binding.node is self

    def render_option(self, option: Option, style: RichStyle) -> list[Strip] | None:
        if not isinstance(option, ChatOption) or option.id is None:
            return None
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width
        index = self.get_option_index(option.id)
        key = (option.lines, option.match, style, padding, width, index)
        strips = self._row_cache.get(key)
        if strips is None:
            base = style + RichStyle.from_meta({"option": index})
            inner = max(0, width - padding.left - padding.right)
            strips = []
            for line, (text, extra) in enumerate(zip(option.lines, (_BOLD, _DIM), strict=False)):
                parts = [(text, base + extra)]
                if line == 1 and option.match is not None:
                    start, end = option.match
                    parts = [(text[:start], base + extra), (text[start:end], base + _MATCH), (text[end:], base + extra)]
                segments = [Segment(" " * padding.left, base)]
                room = inner
                for part, part_style in parts:
                    if room <= 0 or not part:
                        continue
                    if cell_len(part) > room:
                        part = set_cell_size(part, room)
                    segments.append(Segment(part, part_style))
                    room -= cell_len(part)
                segments.append(Segment(" " * (width - padding.left - (inner - max(room, 0))), base))
                strips.append(Strip([s for s in segments if s.text], width))
            self._row_cache[key] = strips
        return strips

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.max_scroll_y and new >= self.max_scroll_y - LOAD_MORE_MARGIN:
            self.post_message(self.NearEnd())

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        if highlighted is not None and highlighted >= self.option_count - LOAD_MORE_MARGIN:
            self.post_message(self.NearEnd())

    @property
    def highlighted_pk(self) -> int | None:
        option = self.highlighted_option
        return int(option.id) if option is not None and option.id else None

    def action_delete_highlighted(self) -> None:
        if self.highlighted_pk is not None:
            self.post_message(self.DeleteRequested(self.highlighted_pk, remote=False))

    def action_delete_remote_highlighted(self) -> None:
        if self.highlighted_pk is not None:
            self.post_message(self.DeleteRequested(self.highlighted_pk, remote=True))

    def action_rename_highlighted(self) -> None:
        if self.highlighted_pk is not None:
            self.post_message(self.RenameRequested(self.highlighted_pk))
