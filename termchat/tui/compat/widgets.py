"""Textual's private API for widgets: option lists, inputs, Markdown, the footer, scoped
restyles, selection lists (see `termchat.tui.compat` for the rule this package keeps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.style import Style
from textual import events
from textual.dom import DOMNode
from textual.geometry import Size
from textual.reactive import Reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from textual.widgets import SelectionList

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
