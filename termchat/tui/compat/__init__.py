"""Every use of Textual's private API, in one package (nowhere else in termchat), by area:

- `compat.app`: the app (whether it is closing, routing a key again, waiting for a widget's
  queued keys, the CSS parsed when first needed, the theme set before the first CSS parse);
- `compat.screen`: screen layout and frames (`FramedScreen`, `lay_out_now`, the first resume);
- `compat.widgets`: widgets (option lists, inputs, Markdown, footer, scoped restyle, selection list);
- `compat.terminal`: the terminal parser (Alt+Enter as ESC CR, bracketed pastes kept whole).

Each entry says what it relies on and the Textual version it was written against;
tests/test_tui_compat_*.py fail when one of them no longer holds, so an upgrade of Textual
shows here first (pyproject pins `textual<9`). Nothing here imports a widget that start-up
does not import anyway: the Markdown and SelectionList helpers are mixins and functions that
take the widget. This file imports nothing, so importing one area does not import the others.
"""

WRITTEN_AGAINST = "8.2"  # the Textual version every entry in this package was written and checked against
