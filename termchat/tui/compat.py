"""Every use of Textual's private API, in one place.

Each entry says what it relies on and the Textual version it was written against;
tests/test_tui_compat.py fails when one of them no longer holds, so an upgrade of Textual
shows here first (pyproject pins `textual<9`). Nothing here imports a widget that start-up
does not import anyway: the Markdown and SelectionList helpers are mixins and functions that
take the widget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.style import Style
from textual import events
from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser
from textual.app import App
from textual.dom import DOMNode
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from termchat.tui import frames

if TYPE_CHECKING:
    from textual.widgets import SelectionList

WRITTEN_AGAINST = "8.2"  # the Textual version every entry below was written and checked against


# -- App ---------------------------------------------------------------------------------------


def app_is_closing(app: App[Any]) -> bool:
    """Whether `app` is shutting down (its widgets may already be gone).

    Textual 8.2: `App._exit` is set by `exit()`, `_closing` while it closes, `_closed` once
    closed; there is no public flag for the time between `exit()` and the unmount.
    """
    return bool(app._exit or app._closing or app._closed or not app.screen_stack)


async def route_key(app: App[Any], event: events.Key) -> None:
    """Route `event` again as the app routes a key from the terminal: to its priority bindings,
    else to the widget focused now. For a key a widget received after the focus had left it (the
    app routes the keys of one burst before the first of them has been handled).

    Textual 8.2: `App.on_event` takes a key from the driver by awaiting
    `_check_bindings(key, priority=True)` and, if no binding ran, calling
    `_forward_event(event)` on `app.focused` (else the screen); a new `Key` is sent, since the
    one received has already been forwarded and may have been stopped.
    """
    if not await app._check_bindings(event.key, priority=True):
        target: Widget = app.focused or app.screen
        target._forward_event(events.Key(event.key, event.character))


async def handle_queued_first(widget: Widget) -> None:
    """Wait until `widget` has handled the messages already in its queue: the keys the app routed
    to it before the key being handled now (a priority binding runs as the app takes its key,
    which can be before the focused widget has handled the keys typed just before it).

    Only for widgets whose handlers never wait on the app or on another widget (else the two
    would wait on each other). Textual 8.2: `call_later` posts a `Callback` at the end of the
    widget's queue; `textual._context.active_message_pump` is the pump whose task is running:
    from the widget's own task nothing is waited for (its queue cannot move meanwhile).
    """
    from textual._context import active_message_pump

    if active_message_pump.get(None) is widget:
        return
    handled = asyncio.Event()
    if widget.call_later(handled.set):
        await handled.wait()


def parse_css_when_needed(app: App[Any], path: Path, first_frame: Collection[str]) -> None:
    """Add the CSS file at `path` to `app`'s stylesheet only when the first widget or screen whose
    class is not named in `first_frame` is mounted (just before it is styled): the first frame
    does not wait for rules it does not use. No rule in that file may style a widget of a class
    in `first_frame` (those may be styled before it is parsed, and are not restyled by it).

    Textual 8.2: every widget and screen goes through `App._register(parent, *widgets)`, which
    registers each one (recursing into `widget._nodes` through `self._register`) and then applies
    the stylesheet to it; `Stylesheet.add_source` marks the stylesheet for a re-parse, which its
    next `apply` does (sources already parsed come from its parse cache). A theme change re-parses
    every source added so far.
    """
    register = app._register

    def register_then(parent: DOMNode, *widgets: Widget, **kwargs: Any) -> list[Widget]:
        if any(type(widget).__name__ not in first_frame for widget in widgets):
            del app._register  # back to the class's method: this file is added once
            app.stylesheet.add_source(path.read_text(encoding="utf-8"), read_from=(str(path), ""), is_default_css=False)
        return register(parent, *widgets, **kwargs)

    app._register = register_then  # type: ignore[method-assign]


def set_theme_before_first_css(app: App[Any], name: str) -> None:
    """Set `app.theme` to `name` before the stylesheet was first parsed (in `App.__init__`).

    What `app.theme = name` does, minus the full CSS re-parse it schedules: the stylesheet has
    not been parsed yet, so setting its variables is enough. Textual 8.2: a copy of
    `App._watch_theme` (classes, `_refresh_truecolor_filter`), without its `_invalidate_css`
    and `refresh_css`.
    """
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    app.update_classes(
        {
            **{c: False for c in app.classes if c.startswith("-theme-")},
            f"-theme-{theme.name}": True,
            "-dark-mode": theme.dark,
            "-light-mode": not theme.dark,
        },
        update=False,
    )
    app._refresh_truecolor_filter(app.ansi_theme)
    app.stylesheet.set_variables(app.get_css_variables())


# -- OptionList --------------------------------------------------------------------------------


class FixedHeightOptionList(OptionList):
    """An OptionList whose options are all `OPTION_HEIGHT` lines high, so its line index is
    built without measuring any option; a subclass may draw options itself (`render_option`).

    Textual 8.2: `OptionList._update_lines` measures each new option into `_line_cache`
    (`lines`, `heights`, `index_to_line`), then sets `virtual_size` and calls `_scroll_update`;
    `_get_option_render(option, style)` draws one option into strips.
    """

    OPTION_HEIGHT = 1

    def _update_lines(self) -> None:
        if not self.scrollable_content_region:
            self._expect_overflow()
            return
        cache = self._line_cache
        lines = cache.lines
        height = self.OPTION_HEIGHT
        next_index = lines[-1][0] + 1 if lines else 0
        for index in range(next_index, self.option_count):
            cache.index_to_line[index] = len(lines)
            cache.heights[index] = height
            lines.extend((index, offset) for offset in range(height))
        virtual_size = Size(self.scrollable_content_region.width, len(lines))
        if virtual_size.height != self.virtual_size.height:
            self.virtual_size = virtual_size
            self._scroll_update(virtual_size)
        elif virtual_size != self.virtual_size:  # the width alone: rows are cropped to it, no layout
            self.set_reactive(Widget.virtual_size, virtual_size)

    def _expect_overflow(self) -> None:
        """Not laid out yet: rows taller than the screen get their scrollbar now, not once the
        first paint finds it missing (the screen was then laid out and painted again)."""
        lines = self.OPTION_HEIGHT * self.option_count
        if self.styles.overflow_y == "auto" and lines > self.app.size.height:
            self.set_reactive(Widget.virtual_size, Size(0, lines))
            self.set_reactive(Widget.show_vertical_scrollbar, True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.OPTION_HEIGHT * self.option_count

    def _get_option_render(self, option: Option, style: Any) -> list[Strip]:
        strips = self.render_option(option, style.rich_style)
        return strips if strips is not None else super()._get_option_render(option, style)

    def render_option(self, option: Option, style: Style) -> list[Strip] | None:
        """`OPTION_HEIGHT` strips for `option` in `style`, or None for the default rendering."""
        return None


# -- Input -------------------------------------------------------------------------------------


class RepaintOnlyInput(Input):
    """An Input whose growing text repaints it instead of laying out the whole screen.

    Textual 8.2: `Widget.virtual_size` is a reactive with `layout=True`, and `Input` sets it on
    every key; redefined here without `layout`, since the input's own size never changes.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


# -- Markdown ----------------------------------------------------------------------------------


def highlight_when_first_needed() -> None:
    """Let Textual's Markdown be imported without the syntax highlighter (pygments): it is
    imported when a code block is first highlighted, not with the first message shown.

    Textual 8.2: `textual.widgets._markdown` does `from textual.highlight import highlight` at
    import and calls it only in `MarkdownFence.highlight`, which imports the theme classes from
    `textual.highlight` itself; `textual.highlight` imports pygments at its top. Until either is
    imported, `textual.highlight` is a stand-in module whose `highlight` (and any other name
    asked of it) imports the real module first, which then takes the stand-in's place.
    """
    import sys
    import types

    name = "textual.highlight"
    if name in sys.modules or "textual.widgets._markdown" in sys.modules:
        return  # (imported already: nothing to save)
    stand_in = types.ModuleType(name)

    def real() -> types.ModuleType:
        import importlib

        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return importlib.import_module(name)

    def highlight(*args: Any, **kwargs: Any) -> Any:
        return real().highlight(*args, **kwargs)

    def other(attribute: str) -> Any:
        if attribute.startswith("__"):  # what the import system asks (`__path__`): not a name of it
            raise AttributeError(attribute)
        return getattr(real(), attribute)

    stand_in.highlight = highlight  # type: ignore[attr-defined]
    stand_in.__getattr__ = other  # type: ignore[method-assign]
    sys.modules[name] = stand_in


class EmptyMarkdownMount:
    """Mixin for a `Markdown` subclass (before `Markdown` in the bases): mounted with no text,
    it builds nothing. `Markdown` would still parse "" in a worker thread and take its lock
    before the first append could run.

    Textual 8.2: `Markdown._on_mount` parses `self._initial_markdown` (None or text); Textual
    calls each class's `_on_mount` along the MRO unless `prevent_default()` stops it, and
    `Widget._on_mount` after it only sets up `overflow: scroll` bars.
    """

    _initial_markdown: str | None

    async def _on_mount(self, event: events.Mount) -> None:
        if self._initial_markdown:
            return  # `Markdown._on_mount` builds the blocks
        event.prevent_default()
        self._initial_markdown = None


# -- Screen ------------------------------------------------------------------------------------


class FramedScreen(Screen[None]):
    """A screen that marks each of its frames (`tui/frames.py`): threads that would compete
    with the frame for the GIL wait while it is painted. While a reply streams, a frame that
    lays the screen out paints `PAINT_AFTER` seconds later, a timer of its own: what the loop
    has due by then (timers, keys read meanwhile) runs between the layout and the paint. Until
    that paint, the screen is not idle: what waits for the refresh waits for the paint.

    Textual 8.2: the screen's update timer calls `Screen._on_timer_update`, which lays out what
    needs it (`_refresh_layout`, which paints at its end with `_compositor_refresh` unless a
    batch is open) and paints the dirty regions, all in that one call. The first frame and a new
    terminal size are laid out and painted by `_refresh_layout(size)` called from elsewhere.
    The callbacks waiting for a refresh (`call_after_refresh`) are in `Screen._callbacks`: the
    timer's frame has `_invoke_and_clear_callbacks` called next, and `Screen._on_idle` calls it
    once nothing is left to lay out or paint; Textual calls each class's `_on_idle` along the
    MRO, subclass first, unless `prevent_default()` stops it. `App._batch_count` is non-zero
    while a `batch_update` is open (Textual paints nothing then).
    """

    PAINT_AFTER = 0.001
    _split_layout = False  # the timer's frame, while a reply streams: paint on a later turn
    _paint_due: asyncio.TimerHandle | None = None

    def _on_timer_update(self) -> None:
        frames.frame_started()
        split = self._split_layout = frames.streaming()
        waiting: list[Any] = []
        if split:  # (the frame would have them called next: they wait for the paint)
            waiting, self._callbacks = self._callbacks, []
        try:
            super()._on_timer_update()
        finally:
            self._split_layout = False
            frames.frame_ended()
            if split:
                self._callbacks[:0] = waiting
                if self._paint_due is None and self._callbacks:  # nothing was laid out
                    self.call_next(self._invoke_and_clear_callbacks)

    def _refresh_layout(self, size: Size | None = None, scroll: bool = False) -> None:
        frames.frame_started()
        try:
            super()._refresh_layout(size, scroll)
        finally:
            frames.frame_ended()

    def _compositor_refresh(self) -> None:
        if not self._split_layout:
            super()._compositor_refresh()
        elif self._paint_due is None:
            self._paint_due = asyncio.get_running_loop().call_later(self.PAINT_AFTER, self._paint_laid_out)

    def _paint_laid_out(self) -> None:
        self._paint_due = None
        if not self.is_attached:
            return
        if self.app._batch_count:  # an update under way: its widgets are painted once it ends
            self._paint_due = asyncio.get_running_loop().call_later(self.PAINT_AFTER, self._paint_laid_out)
            return
        frames.frame_started()
        try:
            super()._compositor_refresh()
        finally:
            frames.frame_ended()
        if self._callbacks:  # as the frame would have done
            self.call_next(self._invoke_and_clear_callbacks)
        self.check_idle()

    async def _on_idle(self, event: events.Idle) -> None:
        if self._paint_due is not None:
            event.prevent_default()  # laid out, not painted yet: not idle


def lay_out_now(screen: Any, *, scroll: bool = False) -> None:
    """Lay `screen` out at once: its widgets' regions and scroll limits are those of the next
    frame. Inside `App.batch_update` nothing is painted until the batch ends, so a widget can
    lay out, place its scroll, and have both painted in one frame. `scroll`: only the scroll
    offsets changed since the last layout.

    Textual 8.2: `Screen._refresh_layout(size=None, scroll=False)` reflows the compositor and
    updates every widget's size; with a batch open it defers the paint (`call_later` of
    `_compositor_refresh`), which then paints what the compositor holds.
    """
    screen._refresh_layout(scroll=scroll)


def keep_styles_on_first_resume(screen: Screen[Any], event: events.ScreenResume) -> None:
    """From the screen's `on_screen_resume`: its first showing does not restyle all its widgets
    again (each was styled when mounted, and each change since restyled what it changed).

    Textual 8.2: `Screen._on_screen_resume` restyles the whole screen if `event.refresh_styles`;
    handlers run subclass first (`_get_dispatch_methods` walks the MRO); `stack_updates` is 0
    until the first `_on_screen_resume`.
    """
    if screen.stack_updates == 0:
        event.refresh_styles = False


# -- Footer ------------------------------------------------------------------------------------


class CoalescedFooterRecompose:
    """Mixin for a `Footer` subclass (before `Footer` in the bases): a burst of binding changes
    recomposes it once, not once per change (opening a chat moves focus and mounts widgets,
    each refreshing the screen's bindings: each recompose builds every key again).

    Textual 8.2: `Footer.bindings_changed(screen)` is the screen's `bindings_updated_signal`
    subscriber; it queues `recompose` with `call_after_refresh` on every call once the app has
    focus and the footer is attached to that screen. A recompose reads the bindings as they are
    when it runs, so one queued recompose covers every change before it.
    """

    _recompose_queued = False

    def bindings_changed(self, screen: Any) -> None:
        if self._recompose_queued:
            return
        super().bindings_changed(screen)  # type: ignore[misc]
        self._recompose_queued = bool(screen.app.app_focus and self.is_attached and screen is self.screen)  # type: ignore[attr-defined]

    async def recompose(self) -> None:
        self._recompose_queued = False
        await super().recompose()  # type: ignore[misc]


# -- Widget styles ----------------------------------------------------------------------------


class ScopedRestyle:
    """Mixin for a widget (before the widget class in the bases) whose class and pseudo-class
    changes restyle `restyle_nodes()` (itself by default), not its whole subtree.

    Textual restyles a node's whole subtree when its classes or pseudo-classes change; for a
    message with hundreds of Markdown blocks that made finishing a reply slow. Only the rules
    of the returned nodes may depend on this widget's classes (keep app_later.tcss so). Descendants
    are still repainted, their style caches cleared, when this widget's inherited colours
    change (say, the focus background).

    Textual 8.2: `DOMNode.update_node_styles(animate)` is what Textual calls on every class or
    pseudo-class change (it calls `App.update_styles`, which restyles the subtree);
    `Stylesheet.update_nodes` restyles just the given nodes.
    """

    def restyle_nodes(self: Any) -> list[Widget]:
        return [self]

    def update_node_styles(self: Any, animate: bool = True) -> None:
        if not self.is_attached:
            DOMNode.update_node_styles(self, animate)
            return

        def inherited() -> tuple[Any, ...]:  # what the descendants' rendering takes from here
            styles = self.styles
            return (
                styles.background,
                styles.color,
                styles.text_style,
                styles.background_tint,
                styles.tint,
                styles.opacity,
                styles.text_opacity,
            )

        before = inherited()
        self.app.stylesheet.update_nodes(self.restyle_nodes(), animate=animate)
        if inherited() != before:
            for node in self.walk_children(Widget):
                node.notify_style_update()
                node.refresh()


# -- SelectionList -----------------------------------------------------------------------------


def selection_mark_line(selection_list: SelectionList[Any], line: Strip, y: int) -> Strip:
    """`line` (row `y` of the visible part of `selection_list`) with its check mark drawn as
    ✔ (selected) or blank: Textual's shows an X either way, told apart only by colour.

    Textual 8.2: `SelectionList.render_line` draws the mark as the line's second segment
    (after the button's left edge); `_selected` holds the selected values (a dict, so the
    lookup is cheap on every line).
    """
    segments = list(line)
    index = selection_list.scroll_offset.y + y
    if index >= selection_list.option_count or len(segments) < 2:
        return line
    mark = "✔" if selection_list.get_option_at_index(index).value in selection_list._selected else " "
    segments[1] = segments[1]._replace(text=mark)
    return Strip(segments, line.cell_length)


# -- the terminal's input ----------------------------------------------------------------------
# Textual 8.2's xterm parser (`textual._xterm_parser`, private) gets two things wrong that a chat
# prompt depends on, in terminals without the kitty keyboard protocol (tmux, xterm, most):
#
# - ESC CR (Alt+Enter; tmux sends it for M-Enter) is not a known sequence, so the parser keeps
#   reading: keys typed within the escape delay join the sequence, and when it gives up it
#   reports a plain `enter` (the Alt is lost: the prompt sends) and, past 32 characters or at
#   the next ESC, a stray `^`.
# - Inside a bracketed paste, an ESC (text copied from a coloured terminal, say) makes it read
#   the characters after it as keys: a CR in them sends the prompt, a BEL is Ctrl+G.
#
# `TerminalParser` reads ESC CR as `alt+enter` at once, and a bracketed paste as one `Paste`
# holding everything between its markers; `install_terminal_parser` makes the driver use it.

_ALT_ENTER = "\x1b\r"


def _marker_prefix_at_end(data: str, marker: str) -> int:
    """How many characters at the end of `data` begin `marker` (0: none)."""
    for size in range(min(len(marker) - 1, len(data)), 0, -1):
        if data.endswith(marker[:size]):
            return size
    return 0


class TerminalParser(XTermParser):
    """`XTermParser` with ESC CR read as Alt+Enter and bracketed pastes kept whole.

    The paste markers still go through Textual's parser (it keeps its own paste state in step),
    but what is between them never does: it is collected here and posted as one `Paste`.
    """

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._paste: list[str] | None = None  # the paste being read, between its markers
        self._paste_tail = ""  # its last characters: the end marker may start in them
        self._partial = ""  # a read ended with these first characters of the start marker

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # end of input
            if self._paste is not None:  # the terminal went away mid-paste: keep what came
                yield events.Paste("".join(self._paste).replace("\x00", ""))
                self._paste, self._paste_tail = None, ""
            yield from self._feed_textual("")
            return
        while data:
            if self._paste is not None:
                pasted, data = self._read_paste(data)
                if pasted is not None:
                    yield from self._feed_textual(BRACKETED_PASTE_END)
                    yield pasted
                continue
            if self._partial:  # does this read finish the start marker?
                rest = BRACKETED_PASTE_START[len(self._partial) :]
                if data.startswith(rest):
                    self._partial = ""
                    yield from self._start_paste(rest)
                    data = data[len(rest) :]
                    continue
                if rest.startswith(data):  # still not whole
                    self._partial += data
                    yield from self._feed_textual(data)
                    return
                self._partial = ""
            start = data.find(BRACKETED_PASTE_START)
            if start != -1:
                yield from self._start_paste(data[: start + len(BRACKETED_PASTE_START)])
                data = data[start + len(BRACKETED_PASTE_START) :]
                continue
            size = _marker_prefix_at_end(data, BRACKETED_PASTE_START)
            self._partial = data[len(data) - size :] if size else ""
            yield from self._feed_textual(data)
            return

    def _start_paste(self, data: str) -> Iterable[Message]:
        """Feed Textual's parser `data`, which ends with (the rest of) the start marker."""
        yield from self._feed_textual(data)
        self._paste, self._paste_tail = [], ""

    def _read_paste(self, data: str) -> tuple[events.Paste | None, str]:
        """Add `data` to the paste being read: (the Paste once its end marker came, what follows)."""
        paste = self._paste
        assert paste is not None
        # The end marker may have begun in the previous read: search from a marker's length back.
        text = self._paste_tail + data
        end = text.find(BRACKETED_PASTE_END)
        if end == -1:
            paste.append(data)
            self._paste_tail = text[-(len(BRACKETED_PASTE_END) - 1) :]
            return None, ""
        whole = "".join(paste)
        whole = whole[: len(whole) - len(self._paste_tail)] + text[:end]
        self._paste, self._paste_tail = None, ""
        # NUL removed as Textual does (https://github.com/Textualize/textual/issues/1661)
        return events.Paste(whole.replace("\x00", "")), text[end + len(BRACKETED_PASTE_END) :]

    def _feed_textual(self, data: str) -> Iterable[Message]:
        for message in super().feed(data):
            if isinstance(message, events.Paste) and not message.text:
                continue  # it saw the markers only: the paste itself is posted by `feed`
            yield message

    def tick(self) -> Iterable[Message]:
        for message in super().tick():
            self._partial = ""  # the escape delay passed: what the read ended with were keys
            yield message

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if sequence == _ALT_ENTER:
            yield events.Key("alt+enter", None)
            return
        for event in super()._sequence_to_key_events(sequence, alt):
            # xterm's modifyOtherKeys form of a modified Enter (CSI 27;2;13~) is named
            # "shift+\r" by Textual: name it as the kitty protocol's does.
            if event.key.endswith("+\r"):
                event = events.Key(event.key[:-1] + "enter", event.character)
            yield event


def install_terminal_parser() -> None:
    """Read the terminal with `TerminalParser` (from the next driver started).

    Textual 8.2: the Linux driver creates its parser from the module's `XTermParser` name when
    its input thread starts.
    """
    from textual.drivers import linux_driver

    linux_driver.XTermParser = TerminalParser  # type: ignore[misc]
