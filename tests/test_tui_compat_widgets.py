"""termchat.tui.compat.widgets: each use of Textual's private API for widgets still finds what
it relies on.

A failure here after a Textual upgrade names the compat entry to revisit (see its docstring).
"""

from __future__ import annotations

import inspect

import pytest
from textual.app import App, ComposeResult
from textual.dom import DOMNode
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer, Markdown, OptionList, SelectionList, Static
from textual.widgets.option_list import Option
from textual_probe import Host, calls_in, parameters

from termchat.tui.compat.widgets import (
    CoalescedFooterRecompose,
    EmptyMarkdownMount,
    FixedHeightOptionList,
    RepaintOnlyInput,
    ScopedRestyle,
    selection_mark_line,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- OptionList --------------------------------------------------------------------------------


def test_option_list_internals_are_there():
    assert parameters(OptionList._update_lines) == ["self"]
    assert parameters(OptionList._get_option_render) == ["self", "option", "style"]
    assert parameters(Widget._scroll_update) == ["self", "virtual_size"]
    cache = OptionList()._line_cache
    assert (cache.lines, cache.heights, cache.index_to_line) == ([], {}, {})


class TwoLines(FixedHeightOptionList):
    OPTION_HEIGHT = 2
    drawn: list[str] = []

    def render_option(self, option, style):

        if option.id == "plain":
            return None
        self.drawn.append(option.id)
        width = self.scrollable_content_region.width
        return [Strip.blank(width, style), Strip.blank(width, style)]


async def test_fixed_height_option_list_indexes_scrolls_and_draws_its_own_rows():
    options = TwoLines(*[Option(f"row {i}", id=f"o{i}") for i in range(50)], Option("plain", id="plain"))
    async with Host(options).run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert options.virtual_size.height == 2 * 51
        assert options._line_cache.index_to_line[10] == 20 and options._line_cache.heights[10] == 2
        assert options.drawn and set(options.drawn) <= {f"o{i}" for i in range(51)}
        options.highlighted = 49  # scrolls the highlight into view, through the line index
        await pilot.pause()
        assert options.scroll_y + options.scrollable_content_region.height >= 2 * 50
        options.add_options([Option("new", id="new")])  # appended rows are indexed too
        await pilot.pause()
        assert options.virtual_size.height == 2 * 52


class FirstPaintRecorder(TwoLines):
    """Records whether its first paint had the scrollbar, and the width its rows were given."""

    first_paint: tuple[bool, int] | None = None

    def render_lines(self, crop):
        if self.first_paint is None:
            self.first_paint = (self.show_vertical_scrollbar, self.scrollable_content_region.width)
        return super().render_lines(crop)


async def test_rows_taller_than_the_screen_have_their_scrollbar_from_the_first_paint():
    options = FirstPaintRecorder(*[Option(f"row {i}", id=f"o{i}") for i in range(50)])
    async with Host(options).run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        width = options.scrollable_content_region.width  # the rows' width beside the scrollbar
        assert options.show_vertical_scrollbar and options.virtual_size == Size(width, 100)
        assert options.first_paint == (True, width)  # not found missing while first painted
        await pilot.resize_terminal(30, 10)  # narrower: the rows follow the width
        await pilot.pause()
        assert options.scrollable_content_region.width == width - 10
        assert options.virtual_size == Size(width - 10, 100) and options.show_vertical_scrollbar


async def test_rows_that_fit_are_left_to_the_first_layout():
    few = FirstPaintRecorder(*[Option(f"row {i}", id=f"o{i}") for i in range(3)])
    async with Host(few).run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        width = few.scrollable_content_region.width
        assert few.first_paint == (False, width) and not few.show_vertical_scrollbar
        assert few.virtual_size == Size(width, 6)
        few.add_options([Option(f"more {i}", id=f"m{i}") for i in range(10)])  # now they overflow
        await pilot.pause()
        assert few.show_vertical_scrollbar and few.virtual_size.height == 26


def test_show_vertical_scrollbar_is_a_reactive_and_scroll_views_keep_their_virtual_size():
    from textual.reactive import Reactive
    from textual.scroll_view import ScrollView

    assert isinstance(Widget.__dict__["show_vertical_scrollbar"], Reactive)
    assert "_scroll_update" in calls_in(ScrollView._size_updated)
    assert "virtual_size = self.virtual_size" in inspect.getsource(ScrollView._size_updated)


# -- Input -------------------------------------------------------------------------------------


def test_virtual_size_is_a_reactive_to_redefine():
    from textual.reactive import Reactive

    assert isinstance(Widget.__dict__["virtual_size"], Reactive)
    assert isinstance(RepaintOnlyInput.__dict__["virtual_size"], Reactive)


async def test_repaint_only_input_still_scrolls_to_the_cursor():
    field = RepaintOnlyInput()
    async with Host(field).run_test(size=(20, 5)) as pilot:
        field.focus()
        await pilot.press(*"a long filter text that is wider than the box")
        await pilot.pause()
        assert field.value == "a long filter text that is wider than the box"
        assert field.virtual_size.width > field.size.width and field.scroll_x > 0


# -- Markdown ----------------------------------------------------------------------------------


def test_markdown_mount_internals_are_there():
    assert "_on_mount" in Markdown.__dict__ and inspect.iscoroutinefunction(Markdown._on_mount)
    assert Markdown("text")._initial_markdown == "text" and Markdown()._initial_markdown is None


class Body(EmptyMarkdownMount, Markdown):
    pass


async def test_empty_markdown_mount_builds_nothing_and_then_appends():
    empty, full = Body(""), Body("# Title\n\ntext")
    async with Host(empty, full).run_test() as pilot:
        await pilot.pause()
        assert not empty.children and empty._initial_markdown is None
        assert full.children  # text given at creation is still built
        await empty.append("appended **later**")
        await pilot.pause()
        assert "appended" in empty.source and empty.children


# -- Footer ------------------------------------------------------------------------------------


def test_footer_bindings_changed_queues_a_recompose():
    assert parameters(Footer.bindings_changed) == ["self", "screen"]
    assert "call_after_refresh" in calls_in(Footer.bindings_changed)


class CountedFooter(CoalescedFooterRecompose, Footer):
    recomposes = 0

    async def recompose(self) -> None:
        type(self).recomposes += 1
        await super().recompose()


class Keys(App[None]):
    BINDINGS = [("a", "bell", "First"), ("b", "second", "Second")]
    second_shown = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "second" and not self.second_shown)  # False: not in the footer

    def action_second(self) -> None:
        pass

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield CountedFooter()


async def test_a_burst_of_binding_changes_recomposes_the_footer_once_with_the_latest_keys():
    app = Keys()
    async with app.run_test() as pilot:
        await pilot.pause()
        footer = app.query_one(CountedFooter)
        before = CountedFooter.recomposes
        assert "Second" not in " ".join(str(key.description) for key in footer.query("FooterKey"))
        app.second_shown = True
        for _ in range(5):
            app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert CountedFooter.recomposes == before + 1
        labels = " ".join(str(key.description) for key in footer.query("FooterKey"))
        assert "Second" in labels
        app.screen.refresh_bindings()  # a later change recomposes again
        await pilot.pause()
        await pilot.pause()
        assert CountedFooter.recomposes == before + 2


# -- Widget styles ----------------------------------------------------------------------------


def test_update_node_styles_is_what_a_class_change_calls():
    assert parameters(DOMNode.update_node_styles) == ["self", "animate"]
    assert "update_node_styles" in calls_in(DOMNode.update_classes)
    assert "update_node_styles" in calls_in(DOMNode.add_class)


class Scoped(ScopedRestyle, Widget):
    DEFAULT_CSS = """
    Scoped { height: 3; }
    Scoped .head { color: red; }
    Scoped.-on .head { color: blue; }
    Scoped.-on { background: green; }
    """

    def compose(self) -> ComposeResult:
        yield Static("head", classes="head")
        yield Static("deep", classes="deep")

    def restyle_nodes(self) -> list[Widget]:
        return [self, *self.query_children(".head")]


async def test_scoped_restyle_restyles_its_nodes_and_repaints_the_rest():
    widget = Scoped()
    async with Host(widget).run_test() as pilot:
        await pilot.pause()
        head, deep = widget.query_one(".head"), widget.query_one(".deep")
        assert head.styles.color.hex.lower() == "#ff0000"
        widget.add_class("-on")
        await pilot.pause()
        assert head.styles.color.hex.lower() == "#0000ff"  # its own rules follow the class
        assert widget.styles.background.hex.lower() == "#008000"
        assert deep.background_colors[1].hex.lower() == "#008000"  # repainted over the new colour


# -- SelectionList -----------------------------------------------------------------------------


async def test_selection_mark_line_marks_the_selected_rows():
    class Checks(SelectionList[str]):
        def render_line(self, y):
            return selection_mark_line(self, super().render_line(y), y)

    checks = Checks(("one", "a", True), ("two", "b", False))
    assert isinstance(checks._selected, dict)
    async with Host(checks).run_test() as pilot:
        await pilot.pause()
        first, second = (checks.render_line(y) for y in range(2))
        assert list(first)[1].text == "✔" and list(second)[1].text == " "
        assert "one" in first.text and "two" in second.text
        checks.select("b")
        await pilot.pause()
        assert list(checks.render_line(1))[1].text == "✔"


HIGHLIGHT_CHILD = """
import json, sys
import termchat.tui.widgets.message_view  # (termchat.tui.widgets installs the stand-in first)
from textual.widgets import Markdown
from textual.widgets._markdown import highlight
before = "pygments" in sys.modules
content = highlight("def f():\\n    return 1", language="python")
from textual.highlight import ANSIDarkHighlightTheme, HighlightTheme
import textual.highlight
print(json.dumps({
    "pygments_before": before,
    "pygments_after": "pygments" in sys.modules,
    "spans": [[s.start, s.end, str(s.style)] for s in content.spans],
    "real": textual.highlight.__file__ is not None and sys.modules["textual.highlight"] is textual.highlight,
    "themes": [ANSIDarkHighlightTheme.__name__, HighlightTheme.__name__],
}))
"""

REFERENCE_CHILD = """
import json
from textual.highlight import highlight
content = highlight("def f():\\n    return 1", language="python")
print(json.dumps([[s.start, s.end, str(s.style)] for s in content.spans]))
"""


def test_markdown_is_imported_without_pygments_and_highlights_as_before():
    """highlight_when_first_needed relies on `textual.widgets._markdown` taking `highlight` from
    `textual.highlight` at import and calling it only when a fence is highlighted (a fresh
    interpreter each: the stand-in only acts before Textual's Markdown is imported)."""
    import json
    import subprocess
    import sys

    def run(code: str):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
        return json.loads(out.stdout.strip().splitlines()[-1])

    shown = run(HIGHLIGHT_CHILD)
    assert not shown["pygments_before"]  # Markdown imported, no pygments yet
    assert shown["pygments_after"] and shown["real"]  # the first highlight brought the real module
    assert shown["spans"] == run(REFERENCE_CHILD)  # highlighted exactly as Textual's own does
    assert shown["themes"] == ["ANSIDarkHighlightTheme", "HighlightTheme"]
    import textual.widgets._markdown as markdown_module

    assert "highlight" in vars(markdown_module)  # the name the stand-in provides
