"""Widgets of the main screen."""

from termchat.tui.compat.widgets import highlight_when_first_needed

highlight_when_first_needed()  # before any widget here imports Textual's Markdown
