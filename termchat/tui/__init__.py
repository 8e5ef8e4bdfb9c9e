"""The Textual app: a view over the headless engine (see ARCHITECTURE.md, "TUI")."""
