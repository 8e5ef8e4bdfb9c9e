"""The one table of TUI actions: key, id (for `[keymap]`), and the command palette text.

`COMMANDS` are the chat screen's bindings; those marked `app` are the app's as well, so they
work over every screen. The other tables belong to one widget each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from textual.binding import Binding


class Command(NamedTuple):  # a NamedTuple: much cheaper to define than a dataclass, on the start-up path
    id: str  # binding id, the key of `[keymap]` in config.toml
    key: str  # default key(s), comma separated
    action: str  # Textual action on the chat screen (on the app with `app`)
    description: str  # footer / help label
    help: str  # command palette help line
    show: bool = False
    priority: bool = False
    palette: bool = True
    app: bool = False  # bound on the app: works over dialogs too


# Keys avoid what TextArea/Input already use (ctrl+w/d/x/c/v/u/k/z/y, f6, f7) so that they
# work while typing in the prompt; Ctrl+A and Ctrl+E (attach, compose in $EDITOR) take the
# prompt's line start and end on purpose, as other chat clients do: Home and End still move there.
COMMANDS: tuple[Command, ...] = (
    Command(
        "stop",
        "escape,ctrl+c",
        "stop",
        "Stop",
        "Stop the streaming reply (keeps the partial text)",
        show=True,
        priority=True,
    ),
    Command("new_chat", "ctrl+n", "new_chat", "New", "Start a new chat", show=True),
    Command("rename", "f2", "rename", "Rename", "Rename the current chat"),
    Command(
        "chat_info",
        "shift+f2",
        "chat_info",
        "Chat info",
        "Show this chat's ids (to resume it anywhere), tokens, cost and tools",
    ),
    Command("delete", "f8", "delete", "Delete", "Delete the current chat (undo from the notification)"),
    Command(
        "delete_remote",
        "ctrl+f8",
        "delete(True)",
        "Delete chat and its server conversation",
        "Delete the current chat and its server conversation (undo from the notification)",
    ),
    Command("undo_delete", "shift+f8", "undo_delete", "Undo delete", "Bring back the chat deleted last"),
    Command("switch_model", "f4", "switch_model", "Model", "Switch the model of this chat"),
    Command("switch_effort", "shift+f4", "switch_effort", "Effort", "Pick this chat's reasoning effort"),
    Command(
        "switch_mode", "f3", "switch_mode", "State mode", "Switch how context is kept: conversation, chain or local"
    ),
    Command("compact", "f9", "compact", "Compact", "Compact this chat's context window"),
    Command("send_background", "ctrl+g", "send_background", "Send as job", "Send the prompt as a background job"),
    Command(
        "attach_file",
        "ctrl+a",
        "attach_file",
        "Attach",
        "Attach a file to the next message (an image, a PDF or a text file)",
        priority=True,
    ),
    Command(
        "compose_in_editor",
        "ctrl+e",
        "compose_in_editor",
        "Editor",
        "Write the prompt in $EDITOR (the app steps aside until the editor exits)",
        priority=True,
    ),
    Command("jobs", "ctrl+b", "jobs", "Jobs", "Show background jobs (cancel, open)", show=True),
    Command("copy_reply", "f5", "copy_reply", "Copy", "Copy the selected message (else the last reply)"),
    Command(
        "select_previous",
        "alt+up",
        "select_message(-1)",
        "Previous message",
        "Select the previous message (to copy it)",
    ),
    Command(
        "select_next",
        "alt+down",
        "select_message(1)",
        "Next message",
        "Select the next message (Escape: back to the prompt)",
    ),
    Command(
        "jump_latest",
        "ctrl+end",
        "jump_latest",
        "Latest",
        "Jump to the newest message (from anywhere, also while typing)",
    ),
    Command("export", "ctrl+s", "export", "Export", "Export this chat as Markdown into the current directory"),
    Command(
        "usage",
        "shift+f9",
        "usage",
        "Usage",
        "Tokens and dollars spent, a bar per day, and the budgets (as `termchat usage` shows)",
    ),
    # The keys that move the keyboard (the list, the filter, the prompt) are priority bindings: the
    # app runs them as it takes the key, before it routes the keys typed in the same burst, which
    # then go where they send the focus (a widget's binding runs only after its key has bubbled
    # up, when the keys after it have been routed already).
    Command("toggle_list", "ctrl+l", "toggle_list", "Chats", "Show or hide the chat list", show=True, priority=True),
    Command("toggle_tools", "ctrl+t", "toggle_tools", "Tools", "Focus the tool panel (again: hide it)", show=True),
    Command(
        "pick_vector_stores",
        "ctrl+r",
        "pick_vector_stores",
        "Vector stores",
        "Pick file_search vector stores from the account's list",
    ),
    Command("focus_filter", "ctrl+f", "focus_filter", "Find chat", "Filter the chat list", priority=True),
    Command("focus_prompt", "ctrl+o", "focus_prompt", "Prompt", "Move the cursor to the prompt", priority=True),
    Command("theme", "f10", "theme", "Theme", "Pick a colour theme (saved to the config)", app=True),
    Command("help", "f1,question_mark", "help", "Help", "Show all key bindings", show=True),
    Command("quit", "ctrl+q", "quit", "Quit", "Quit termchat", show=True, priority=True, app=True),
)

# Bindings of the prompt itself (also remappable by id).
PROMPT_COMMANDS: tuple[Command, ...] = (
    Command("send", "enter", "submit", "Send", "Send the prompt", priority=True, palette=False),
    Command(
        "newline",
        "shift+enter,alt+enter,ctrl+j",
        "newline",
        "Newline",
        "Insert a newline in the prompt",
        priority=True,
        palette=False,
    ),
    Command(
        "transcript_page_up",
        "pageup",
        "screen.page_transcript(-1)",
        "Page up",
        "Scroll the transcript a page up (from the prompt)",
        palette=False,
    ),
    Command(
        "transcript_page_down",
        "pagedown",
        "screen.page_transcript(1)",
        "Page down",
        "Scroll the transcript a page down (from the prompt)",
        palette=False,
    ),
    Command(
        "history_previous",
        "up",
        "history_previous",
        "Earlier prompt",
        "In an empty prompt: recall your earlier messages (this chat's, then all)",
        palette=False,
    ),
    Command(
        "history_next",
        "down",
        "history_next",
        "Later prompt",
        "Back through the recalled messages, to what you were typing",
        palette=False,
    ),
    Command(
        "complete_path",
        "tab",
        "complete_path",
        "Complete path",
        "After @ in the prompt: complete the file path (else: next pane)",
        palette=False,
    ),
)

# Bindings of the chat list. None is a printable key: whatever types a character goes to the
# filter (type-to-filter), so a filter word never runs a command.
LIST_COMMANDS: tuple[Command, ...] = (
    Command("list_delete", "delete", "delete_highlighted", "Delete", "Delete the highlighted chat", palette=False),
    Command(
        "list_delete_remote",
        "shift+delete",
        "delete_remote_highlighted",
        "Delete + server",
        "Delete the highlighted chat and its server conversation",
        palette=False,
    ),
    Command("list_rename", "f2", "rename_highlighted", "Rename", "Rename the highlighted chat", palette=False),
)

# Bindings of a selected message (Alt+Up / Alt+Down select one).
MESSAGE_COMMANDS: tuple[Command, ...] = (
    Command("message_leave", "escape", "screen.focus_prompt", "Back", "Back to the prompt", palette=False),
    Command(
        "message_edit",
        "e",
        "edit",
        "Edit",
        "Edit the selected prompt: sending it starts a new branch of the chat",
        palette=False,
    ),
    Command(
        "message_regenerate",
        "r",
        "regenerate",
        "Regenerate",
        "Ask for the selected reply again, as a new branch of the chat",
        palette=False,
    ),
    Command(
        "message_previous_branch",
        "left",
        "branch(-1)",
        "Previous branch",
        "Show the previous alternative of the selected turn (‹ 1/2 ›)",
        palette=False,
    ),
    Command(
        "message_next_branch",
        "right",
        "branch(1)",
        "Next branch",
        "Show the next alternative of the selected turn",
        palette=False,
    ),
    Command(
        "message_unfold",
        "enter",
        "toggle_fold",
        "Show all",
        "Unfold (or fold again) the selected long message",
        palette=False,
    ),
    Command(
        "message_copy_code",
        "c",
        "copy_code",
        "Copy code",
        "Copy the selected reply's code blocks, one per press",
        palette=False,
    ),
)

# Bindings of the tool panel (Tab / Shift+Tab move between its toggles).
TOOL_PANEL_COMMANDS: tuple[Command, ...] = (
    Command("tools_leave", "escape", "leave", "Back", "Leave the tool panel for the prompt", palette=False),
)


def display_keys(keys: str) -> str:
    """ "ctrl+f8,shift+delete" -> "Ctrl+F8, Shift+Delete", as the help screen shows keys."""
    from textual.keys import format_key

    def one(key: str) -> str:
        return "+".join(
            part.upper() if len(part) == 1 and part.isalpha() else part if len(part) == 1 else part.capitalize()
            for part in format_key(key).split("+")
        )

    return ", ".join(one(k.strip()) for k in keys.split(",") if k.strip())


def to_bindings(commands: Iterable[Command], *, namespace: str = "") -> list[Binding]:
    """Textual bindings for `commands`; `namespace` ("app.") prefixes their actions."""
    return [
        Binding(c.key, namespace + c.action, c.description, show=c.show, priority=c.priority, id=c.id) for c in commands
    ]


def chat_screen_bindings() -> list[Binding]:
    """Every command of `COMMANDS`, the app-wide ones first (the footer has always listed Quit
    first) and bound to the app's actions."""
    return to_bindings((c for c in COMMANDS if c.app), namespace="app.") + to_bindings(c for c in COMMANDS if not c.app)


ALL_COMMANDS = COMMANDS + PROMPT_COMMANDS + LIST_COMMANDS + MESSAGE_COMMANDS + TOOL_PANEL_COMMANDS
KEYMAP_IDS = frozenset(c.id for c in ALL_COMMANDS) | {"command_palette"}  # what `[keymap]` may remap


def resolve_keymap(keymap: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """`[keymap]` from the config: the entries for known binding ids, and the unknown ids."""
    known = {k: v for k, v in keymap.items() if k in KEYMAP_IDS}
    return known, sorted(set(keymap) - KEYMAP_IDS)


def key_label(keymap: Mapping[str, str], binding_id: str) -> str:
    """The first key bound to `binding_id` after `keymap`, as the help screen shows it."""
    default = next((c.key for c in ALL_COMMANDS if c.id == binding_id), "")
    return display_keys(keymap.get(binding_id, default)).split(", ")[0]


def keymap_conflicts(keymap: Mapping[str, str], palette_key: str = "ctrl+p") -> list[str]:
    """One warning per key that a `[keymap]` entry takes from another action (after remapping).

    Two actions clash when they share a key in one place: both app-wide, both on the same
    widget (prompt, chat list, message, tool panel), or one app-wide (a widget's key hides it
    there). Keys the defaults share on purpose (Escape) are not reported: only the user's entries.
    """
    scope = {
        c.id: index
        for index, group in enumerate((COMMANDS, PROMPT_COMMANDS, LIST_COMMANDS, MESSAGE_COMMANDS, TOOL_PANEL_COMMANDS))
        for c in group
    }
    keys = {c.id: c.key for c in ALL_COMMANDS} | {"command_palette": palette_key}
    keys.update(keymap)
    split = {binding_id: {k.strip() for k in value.split(",") if k.strip()} for binding_id, value in keys.items()}
    warnings = []
    for binding_id in sorted(keymap):
        for key in sorted(split[binding_id]):
            for other in sorted(split):
                places = {scope.get(binding_id, 0), scope.get(other, 0)}
                if other != binding_id and key in split[other] and (len(places) == 1 or 0 in places):
                    warnings.append(
                        f'[keymap] {binding_id} = "{keymap[binding_id]}" takes '
                        f"{display_keys(key)} from {other} (see F1)"
                    )
    return warnings
