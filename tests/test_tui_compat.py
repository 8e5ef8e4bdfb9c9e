"""termchat.tui.compat: each use of Textual's private API still finds what it relies on.

A failure here after a Textual upgrade names the compat entry to revisit (see its docstring).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.dom import DOMNode
from textual.geometry import Size
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer, Markdown, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from termchat.tui import compat, frames

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def calls_in(function) -> set[str]:
    """The names of the methods and functions `function` calls (from its source)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = node.func
            names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


class Host(App[None]):
    """A bare app to mount one widget in."""

    def __init__(self, *widgets: Widget) -> None:
        super().__init__()
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self.widgets


def test_pinned_below_the_next_major_version():
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"textual>=8.2.7,<9"' in pyproject  # compat.WRITTEN_AGAINST is an 8.x release
    assert compat.WRITTEN_AGAINST.startswith("8.")


# -- App ---------------------------------------------------------------------------------------


async def test_app_is_closing_follows_exit():
    app = Host()
    for name in ("_exit", "_closing", "_closed"):
        assert hasattr(app, name), name
    async with app.run_test() as pilot:
        await pilot.pause()
        assert not compat.app_is_closing(app)
        app.exit()
        assert compat.app_is_closing(app)  # at once, before the app has closed
    assert compat.app_is_closing(app)


def test_the_app_routes_a_terminal_key_as_route_key_does():
    from textual.app import App as TextualApp

    assert parameters(TextualApp._check_bindings) == ["self", "key", "priority"]
    assert parameters(Widget._forward_event) == ["self", "event"]
    assert {"_check_bindings", "_forward_event"} <= calls_in(TextualApp.on_event)


class Typed(Static, can_focus=True):
    """Records the keys it receives."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keys: list[str] = []

    def on_key(self, event: events.Key) -> None:
        self.keys.append(event.key)


async def test_route_key_runs_priority_bindings_else_forwards_to_the_focused_widget():
    from textual.binding import Binding

    class Routing(Host):
        BINDINGS = [Binding("ctrl+o", "to_second", priority=True)]

        def action_to_second(self) -> None:
            self.screen.set_focus(self.widgets[1])

    first, second = Typed(id="first"), Typed(id="second")
    app = Routing(first, second)
    async with app.run_test() as pilot:
        app.screen.set_focus(first)
        await pilot.pause()
        await compat.route_key(app, events.Key("a", "a"))
        await pilot.pause()
        assert first.keys == ["a"] and second.keys == []
        await compat.route_key(app, events.Key("ctrl+o", "\x0f"))  # the binding takes it
        assert app.focused is second
        await compat.route_key(app, events.Key("b", "b"))
        await pilot.pause()
        assert first.keys == ["a"] and second.keys == ["b"]


async def test_handle_queued_first_waits_for_what_is_already_queued():
    from textual._context import active_message_pump

    assert active_message_pump.name == "active_message_pump"
    typed = Typed()
    app = Host(typed)
    async with app.run_test() as pilot:
        await pilot.pause()
        for key in "abc":
            typed.post_message(events.Key(key, key))
        assert typed.keys == []
        await compat.handle_queued_first(typed)
        assert typed.keys == ["a", "b", "c"]

        # What tells its own task (where waiting on its own queue would never end) from others:
        running: list[object] = []
        typed.call_later(lambda: running.append(active_message_pump.get(None)))
        await compat.handle_queued_first(typed)
        assert running == [typed] and active_message_pump.get(None) is not typed


def test_set_theme_before_first_css_copies_what_the_theme_watcher_does():
    # The copy leaves out only the CSS re-parse; a new step in Textual's watcher must be
    # reviewed (and copied, or left out on purpose).
    assert calls_in(App._watch_theme) == {
        "update_classes",
        "_refresh_truecolor_filter",
        "_invalidate_css",
        "call_next",
        "partial",
        "startswith",
    }
    assert parameters(App._refresh_truecolor_filter) == ["self", "theme"]


async def test_set_theme_before_first_css_paints_the_theme():
    class Themed(Host):
        def __init__(self) -> None:
            super().__init__(Static("x", id="x"))
            compat.set_theme_before_first_css(self, "textual-light")

    app = Themed()
    assert app.theme == "textual-light" and app.has_class("-theme-textual-light", "-light-mode")
    async with app.run_test() as pilot:
        await pilot.pause()
        theme = app.current_theme
        assert app.screen.styles.background.hex.lower() == theme.background.lower()


# -- OptionList --------------------------------------------------------------------------------


def test_option_list_internals_are_there():
    assert parameters(OptionList._update_lines) == ["self"]
    assert parameters(OptionList._get_option_render) == ["self", "option", "style"]
    assert parameters(Widget._scroll_update) == ["self", "virtual_size"]
    cache = OptionList()._line_cache
    assert (cache.lines, cache.heights, cache.index_to_line) == ([], {}, {})


class TwoLines(compat.FixedHeightOptionList):
    OPTION_HEIGHT = 2
    drawn: list[str] = []

    def render_option(self, option, style):
        from textual.strip import Strip

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
    assert isinstance(compat.RepaintOnlyInput.__dict__["virtual_size"], Reactive)


async def test_repaint_only_input_still_scrolls_to_the_cursor():
    field = compat.RepaintOnlyInput()
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


class Body(compat.EmptyMarkdownMount, Markdown):
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


# -- Screen ------------------------------------------------------------------------------------


def test_refresh_layout_is_there_and_defers_its_paint_in_a_batch():
    from textual.screen import Screen

    assert parameters(Screen._refresh_layout) == ["self", "size", "scroll"]
    assert "_compositor_refresh" in calls_in(Screen._refresh_layout)


async def test_lay_out_now_places_widgets_and_paints_once_the_batch_ends():
    from textual.containers import VerticalScroll

    scroller = VerticalScroll(*(Static(f"line {n}") for n in range(30)))
    app = Host(scroller)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        painted: list[int] = []
        display = app._display
        app._display = lambda screen, update: (painted.append(scroller.scroll_y), display(screen, update))
        top = scroller.children[0]
        with app.batch_update():
            await scroller.mount_all([Static(f"new {n}") for n in range(5)], before=top)
            compat.lay_out_now(app.screen)
            assert top.virtual_region.y == 5 and scroller.max_scroll_y == 25  # laid out
            scroller.scroll_to(y=5, animate=False, immediate=True)
            compat.lay_out_now(app.screen, scroll=True)
            assert not painted  # nothing painted inside the batch
        await pilot.pause()
        assert painted and set(painted) == {5}  # the first frame already scrolled


def test_the_update_timer_lays_out_and_paints_in_one_call():
    assert parameters(Screen._on_timer_update) == ["self"]
    assert {"_refresh_layout", "_compositor_refresh"} <= calls_in(Screen._on_timer_update)


class PaintWatch(Static):
    """Notes, each time it is painted, whether a frame was marked as being painted."""

    marked: list[bool]

    def render_line(self, y: int) -> Strip:
        self.marked.append(not frames.wait_while_painting(0))
        return super().render_line(y)


class FramedHost(App[None]):
    def __init__(self, watch: PaintWatch) -> None:
        super().__init__()
        self.watch = watch

    def get_default_screen(self) -> Screen[None]:
        screen = compat.FramedScreen()
        screen.compose_add_child(self.watch)
        return screen


async def test_a_framed_screen_marks_its_frames():
    watch = PaintWatch("hello")
    watch.marked = []
    async with FramedHost(watch).run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        watch.update("hello again")  # a frame that repaints it
        await pilot.pause()
        assert watch.marked and all(watch.marked)  # every paint, inside a marked frame
        assert frames.wait_while_painting(0)  # and the mark ends with the frame


async def _order_of_a_layout_frame(streaming: bool) -> list[str]:
    """What happens, in order, around a frame that lays the screen out."""
    watch = PaintWatch("hello")
    watch.marked = []
    app = FramedHost(watch)
    order: list[str] = []
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        display = app._display
        app._display = lambda screen, update: (order.append("painted"), display(screen, update))

        def laid_out(screen: Screen[None]) -> None:
            order.append("laid out")
            asyncio.get_running_loop().call_soon(order.append, "loop ran")
            screen.call_after_refresh(order.append, "after the refresh")

        app.screen.screen_layout_refresh_signal.subscribe(watch, laid_out)
        if streaming:
            frames.stream_began()
        try:
            await app.screen.mount(Static("new"))
            await pilot.pause()
        finally:
            if streaming:
                frames.stream_done()
        assert all(watch.marked)  # the paint that comes later is marked too
    first = order.index("laid out")
    return [order[first - 1] if first else "", *order[first : first + 4]]  # (what came just before)


async def test_while_a_reply_streams_a_layout_frame_paints_on_a_later_loop_turn():
    assert (await _order_of_a_layout_frame(streaming=True))[1:] == [
        "laid out",
        "loop ran",  # (timers and keys due by then too)
        "painted",
        "after the refresh",  # what waits for the refresh waits for the paint
    ]
    assert (await _order_of_a_layout_frame(streaming=False))[:3] == ["painted", "laid out", "loop ran"]


async def test_a_split_frame_is_not_painted_inside_a_batch_update():
    watch = PaintWatch("hello")
    watch.marked = []
    app = FramedHost(watch)
    order: list[str] = []
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        display = app._display
        app._display = lambda screen, update: (order.append("painted"), display(screen, update))
        batch = app.batch_update()
        batch_ended = asyncio.Event()

        def laid_out(screen: Screen[None]) -> None:
            if "laid out" not in order:
                order.append("laid out")
                batch.__enter__()  # an update starts before the paint comes

                def end() -> None:
                    order.append("batch ended")
                    batch.__exit__(None, None, None)
                    batch_ended.set()

                asyncio.get_running_loop().call_later(0.01, end)

        app.screen.screen_layout_refresh_signal.subscribe(watch, laid_out)
        frames.stream_began()
        try:
            await app.screen.mount(Static("new"))
            await batch_ended.wait()
            await pilot.pause()
        finally:
            frames.stream_done()
    assert order[:3] == ["laid out", "batch ended", "painted"]


class StyledScreen(Screen[None]):
    keep_first_styles = True

    def compose(self) -> ComposeResult:
        yield Static("hello", id="hello")

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if self.keep_first_styles:
            compat.keep_styles_on_first_resume(self, event)


class ScreenHost(App[None]):
    """An app whose default screen is `screen`, recording the screens restyled as a whole."""

    CSS = "#hello { color: red; }"

    def __init__(self, screen: Screen[None]) -> None:
        super().__init__()
        self.first_screen = screen
        self.restyled: list[Screen[None]] = []
        update_nodes = self.stylesheet.update_nodes

        def recording(nodes, animate=False):
            nodes = list(nodes)
            self.restyled += [node for node in nodes if isinstance(node, Screen)]
            return update_nodes(nodes, animate=animate)

        self.stylesheet.update_nodes = recording

    def get_default_screen(self) -> Screen[None]:
        return self.first_screen


@pytest.mark.parametrize("keep", [True, False])
async def test_a_screens_first_resume_keeps_the_styles_its_widgets_were_mounted_with(keep):
    screen = StyledScreen()
    screen.keep_first_styles = keep
    app = ScreenHost(screen)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert screen.query_one("#hello").styles.color.rgb == (255, 0, 0)
        assert app.restyled == ([] if keep else [screen])  # Textual restyles the whole screen
        app.restyled.clear()
        screen.post_message(events.ScreenResume())  # a later resume still restyles
        await pilot.pause()
        assert app.restyled == [screen]


# -- Footer ------------------------------------------------------------------------------------


def test_footer_bindings_changed_queues_a_recompose():
    assert parameters(Footer.bindings_changed) == ["self", "screen"]
    assert "call_after_refresh" in calls_in(Footer.bindings_changed)


class CountedFooter(compat.CoalescedFooterRecompose, Footer):
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


class Scoped(compat.ScopedRestyle, Widget):
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
            return compat.selection_mark_line(self, super().render_line(y), y)

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


def test_register_is_where_every_widget_and_screen_is_styled():
    """parse_css_when_needed relies on `App._register(parent, *widgets)` applying the stylesheet
    to what it registers, and recursing into children through `self._register`."""
    assert parameters(App._register)[:2] == ["self", "parent"]
    assert {"apply_stylesheet", "_register"} <= calls_in(App._register)


class Later(Static):
    pass


async def test_parse_css_when_needed_parses_it_only_when_another_widget_mounts(tmp_path):
    later_css = tmp_path / "later.tcss"
    later_css.write_text("Later { height: 5; }\n")
    app = Host(Static("first"))
    compat.parse_css_when_needed(app, later_css, {"Static", "Screen"})
    async with app.run_test() as pilot:
        await pilot.pause()
        assert not any(str(later_css) in str(key) for key in app.stylesheet.source)
        await app.screen.mount(Static("another of the first frame's"))
        assert not any(str(later_css) in str(key) for key in app.stylesheet.source)
        later = Later("later")
        await app.screen.mount(later)
        await pilot.pause()
        assert any(str(later_css) in str(key) for key in app.stylesheet.source)
        assert later.styles.height is not None and later.styles.height.value == 5
        assert later.size.height == 5
        app.theme = "textual-light"  # a theme change re-parses every source, this one too
        await pilot.pause()
        assert later.size.height == 5


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
