"""Every use of Textual's private API, in one place.

Each entry says what it relies on and the Textual version it was written against;
tests/test_tui_compat.py fails when one of them no longer holds, so an upgrade of Textual
shows here first (pyproject pins `textual<9`). Nothing here imports a widget that start-up
does not import anyway: the Markdown and SelectionList helpers are mixins and functions that
take the widget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.style import Style
from textual.app import App
from textual.dom import DOMNode
from textual.geometry import Size
from textual.reactive import Reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from textual import events
    from textual.widgets import SelectionList

WRITTEN_AGAINST = "8.2"  # the Textual version every entry below was written and checked against


# -- App ---------------------------------------------------------------------------------------

def app_is_closing(app: App[Any]) -> bool:
    """Whether `app` is shutting down (its widgets may already be gone).

    Textual 8.2: `App._exit` is set by `exit()`, `_closing` while it closes, `_closed` once
    closed; there is no public flag for the time between `exit()` and the unmount.
    """
    return bool(app._exit or app._closing or app._closed or not app.screen_stack)


def set_theme_before_first_css(app: App[Any], name: str) -> None:
    """Set `app.theme` to `name` before the stylesheet was first parsed (in `App.__init__`).

    What `app.theme = name` does, minus the full CSS re-parse it schedules: the stylesheet has
    not been parsed yet, so setting its variables is enough. Textual 8.2: a copy of
    `App._watch_theme` (classes, `_refresh_truecolor_filter`), without its `_invalidate_css`
    and `refresh_css`.
    """
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    app.update_classes({**{c: False for c in app.classes if c.startswith("-theme-")},
                        f"-theme-{theme.name}": True, "-dark-mode": theme.dark,
                        "-light-mode": not theme.dark}, update=False)
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
        if virtual_size != self.virtual_size:
            self.virtual_size = virtual_size
            self._scroll_update(virtual_size)

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


# -- Widget styles ----------------------------------------------------------------------------

class ScopedRestyle:
    """Mixin for a widget (before the widget class in the bases) whose class and pseudo-class
    changes restyle `restyle_nodes()` (itself by default), not its whole subtree.

    Textual restyles a node's whole subtree when its classes or pseudo-classes change; for a
    message with hundreds of Markdown blocks that made finishing a reply slow. Only the rules
    of the returned nodes may depend on this widget's classes (keep app.tcss so). Descendants
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
            return (styles.background, styles.color, styles.text_style, styles.background_tint,
                    styles.tint, styles.opacity, styles.text_opacity)

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
