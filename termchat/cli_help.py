"""The command line, declared once: root options, subcommands, and the `--help` page.

`ROOT_OPTIONS` is the one list of root options and `SUBCOMMANDS` the one table of subcommands
(name, arguments, handler, help). `cli` hands each entry to argparse as is, and `root_help` lays
the same entries out the way argparse would (usage line, option column at 24, help wrapped to
the terminal), so `termchat --help` never imports argparse, `re` or textwrap, which would be
most of the command's time. Keep this module free of imports (but import-free ones).
"""

from __future__ import annotations

import os
import sys

from termchat.state_modes import STATE_MODES

DESCRIPTION = """\
A terminal chat client for OpenAI's Responses and Conversations APIs.

On a terminal, `termchat` opens the chat app. With TEXT (or -p TEXT) or piped stdin it
sends one prompt and streams the reply to stdout (plain text, or JSON Lines with --json).
A TEXT that is a subcommand's name is sent with -p TEXT (or after --: termchat -- list).
"""

EXAMPLES = """\
examples:
  termchat --demo                    try it with the built-in fake API, no key needed
  termchat "explain TCP slow start"          same as -p "explain TCP slow start"
  termchat -a shot.png -a notes.md "what is wrong here?"
  git diff | termchat -p "review this diff"
  termchat -c -p "and in one sentence?"      continue the latest chat
  termchat --conversation conv_abc123        resume a chat from any machine

environment: OPENAI_API_KEY, OPENAI_BASE_URL, TERMCHAT_CONFIG, TERMCHAT_DATA_DIR, NO_COLOR
exit codes: 0 ok, 1 API/network error, 2 usage/config error, 130 interrupted
"""

_FLAG = {"action": "store_true"}
_LIST = {"action": "append", "default": []}

# The root's one positional argument: `termchat "TEXT"` is `termchat -p "TEXT"`.
ROOT_POSITIONAL: tuple[tuple[str, ...], dict] = (
    ("text",),
    {
        "nargs": "?",
        "metavar": "TEXT",
        "help": "the prompt, as with -p TEXT (a subcommand's name is the subcommand: send it with -p TEXT or after --)",
    },
)

# (flags, argparse keyword arguments): the order is the order of the help page.
ROOT_OPTIONS: tuple[tuple[tuple[str, ...], dict], ...] = (
    (("-p", "--prompt"), {"metavar": "TEXT", "help": "send TEXT (then piped stdin, if any) and exit"}),
    (
        ("-a", "--attach"),
        {
            **_LIST,
            "metavar": "FILE",
            "help": "send FILE with the prompt (repeatable): an image (png, jpg, gif, "
            "webp), a PDF, or a UTF-8 text file",
        },
    ),
    (("-c", "--continue"), {**_FLAG, "dest": "continue_", "help": "continue the most recently active chat"}),
    (("--conversation",), {"metavar": "ID", "help": "continue the chat with this id (conv_… or local id)"}),
    (
        ("-m", "--model"),
        {
            "metavar": "MODEL",
            "help": "model to use, or an alias from [aliases] in the config (default "
            "from config; a continued chat keeps its own unless given)",
        },
    ),
    (
        ("--state",),
        {
            "choices": STATE_MODES,
            "help": "how context is kept: server conversation, previous_response_id chain, or local history",
        },
    ),
    (("-s", "--instructions"), {"metavar": "TEXT", "help": "system instructions for this chat"}),
    (
        ("--effort",),
        {"metavar": "LEVEL", "help": "reasoning effort: minimal, low, medium or high (kept by the chat, like -o)"},
    ),
    (
        ("-o", "--option"),
        {
            **_LIST,
            "metavar": "KEY=VALUE",
            "dest": "options",
            "help": "temperature=0..2, top_p=0..1, max_output_tokens=N (16 or more), "
            "verbosity=low, medium or high, effort=LEVEL (repeatable; the "
            "chat keeps them, KEY= forgets one)",
        },
    ),
    (
        ("--tool",),
        {
            **_LIST,
            "metavar": "NAME",
            "help": "enable a tool: web_search, file_search:VS_ID, code_interpreter[:4g], mcp:LABEL "
            "(repeatable; a continued chat keeps its tools unless given)",
        },
    ),
    (("--no-tools",), {**_FLAG, "help": "turn off the tools a continued chat has stored (also: --tool none)"}),
    (("--tool-choice",), {"metavar": "CHOICE", "help": "auto, none, required, or a tool name"}),
    (("--schema",), {"metavar": "FILE", "help": "JSON Schema file: ask for structured output"}),
    (
        ("--approve-mcp",),
        {
            "choices": ("always", "never"),
            "help": "answer MCP approval requests without asking (default: ask on a terminal, else never)",
        },
    ),
    (("--prompt-id",), {"metavar": "ID", "help": "use a stored prompt (Prompts API)"}),
    (("--prompt-version",), {"metavar": "V", "help": "version of --prompt-id"}),
    (("--var",), {**_LIST, "metavar": "KEY=VALUE", "help": "a variable for --prompt-id (repeatable)"}),
    (("--background",), {**_FLAG, "help": "run as a background job and print its id"}),
    (("--wait",), {**_FLAG, "help": "with --background: wait for the job and print only its reply"}),
    (
        ("--estimate",),
        {**_FLAG, "help": "with -p: count the input tokens and input cost the turn would have; send nothing"},
    ),
    (("--force",), {**_FLAG, "help": "send even when a [budget] limit is spent"}),
    (
        ("--resend",),
        {
            **_FLAG,
            "help": "with -c or --conversation ID: send the chat's last prompt again, "
            "one that was not sent (refused by a budget, or failed)",
        },
    ),
    (("--json",), {**_FLAG, "help": "print JSON Lines events instead of plain text"}),
    (("--base-url",), {"metavar": "URL", "help": "any Responses-compatible server (env OPENAI_BASE_URL)"}),
    (("--api-key",), {"metavar": "KEY", "help": "API key (prefer env OPENAI_API_KEY)"}),
    (
        ("--timeout",),
        {
            "type": float,
            "metavar": "SECONDS",
            "help": "the longest you wait on a silent server, retries included: before "
            "the reply starts and between its parts (default 120)",
        },
    ),
    (("--demo",), {**_FLAG, "help": "use the built-in fake API: no key, no network"}),
    (("--debug",), {**_FLAG, "help": "show tracebacks on errors"}),
)


class Subcommand:
    """One subcommand: what `termchat --help` says of it, its arguments, and what runs it.

    `arguments` are (flags, argparse keywords) like ROOT_OPTIONS, each with a help line;
    `handler` is "module:function", imported only when the subcommand runs; `synopsis` is its
    line on the root help page.
    """

    __slots__ = ("arguments", "handler", "name", "summary", "synopsis")

    def __init__(
        self,
        name: str,
        synopsis: str,
        summary: str,
        handler: str,
        arguments: tuple[tuple[tuple[str, ...], dict], ...] = (),
    ) -> None:
        self.name = name
        self.synopsis = synopsis
        self.summary = summary
        self.handler = handler
        self.arguments = arguments


_ID = (
    ("id",),
    {
        "metavar": "ID",
        "help": "a chat's id (conv_… or a local tc_… id; ids from before a "
        "compaction work too), a unique start of one, or `last` "
        "(the most recently active chat)",
    },
)

SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "list",
        "list [--json] [--limit N]",
        "chats, newest activity first",
        "termchat.commands:list_cmd",
        (
            (
                ("--json",),
                {
                    **_FLAG,
                    "help": "print a JSON array (id, title, mode, model, remote_id, times, messages, tokens, cost)",
                },
            ),
            (("--limit",), {"type": int, "default": None, "metavar": "N", "help": "show at most N chats"}),
        ),
    ),
    Subcommand(
        "show",
        "show ID|last [--json]",
        "print a chat's transcript",
        "termchat.commands:show_cmd",
        (
            _ID,
            (("--json",), {**_FLAG, "help": "print the chat as JSON (what export --format json writes)"}),
        ),
    ),
    Subcommand(
        "export",
        "export ID|last --format md|json",
        "export a chat",
        "termchat.commands:export_cmd",
        (
            _ID,
            (
                ("--format",),
                {
                    "choices": ("md", "json"),
                    "default": "md",
                    "help": "md: a readable Markdown transcript (the default); json: every "
                    "field and message, text as stored",
                },
            ),
            (("-o", "--output"), {"metavar": "FILE", "help": "write to FILE instead of stdout"}),
        ),
    ),
    Subcommand(
        "rm",
        "rm ID... [--remote]",
        "delete chats (and their server conversations)",
        "termchat.commands:rm_cmd",
        (
            (
                ("id",),
                {
                    "nargs": "+",
                    "metavar": "ID",
                    "help": "the chats to delete (as for show; `last` works too); every id "
                    "is checked first: an unknown one deletes nothing",
                },
            ),
            (
                ("--remote",),
                {
                    **_FLAG,
                    "help": "also delete the server conversation (a conv_… id works even after the local chat is gone)",
                },
            ),
        ),
    ),
    Subcommand(
        "jobs",
        "jobs [--json] | jobs wait ID|--all | jobs cancel ID",
        "background jobs: list them, follow one, cancel one",
        "termchat.commands:jobs_cmd",
        (
            (
                ("action",),
                {
                    "nargs": "?",
                    "choices": ("wait", "cancel"),
                    "help": "wait: follow job ID to its end and print its reply (a "
                    "failed, cancelled, incomplete or expired job: one line, "
                    "exit 1); cancel: ask the server to stop job ID. Without "
                    "an action: list jobs with their status and age",
                },
            ),
            (("id",), {"nargs": "?", "metavar": "ID", "help": "a job id (resp_…), as `termchat jobs` lists them"}),
            (("--all",), {**_FLAG, "help": "with wait: every pending job of this server"}),
            (("--json",), {**_FLAG, "help": "the list as a JSON array; with wait, the reply as JSON Lines events"}),
        ),
    ),
    Subcommand("compact", "compact ID", "compact a chat's context window", "termchat.commands:compact_cmd", (_ID,)),
    Subcommand(
        "usage",
        "usage [--by day|model|chat]",
        "tokens, tool fees and dollars spent",
        "termchat.commands:usage_cmd",
        (
            (("--json",), {**_FLAG, "help": "print the report as a JSON object"}),
            (("--since",), {"metavar": "DATE", "help": "only turns from DATE (2026-01-31, local time) on"}),
            (
                ("--by",),
                {"choices": ("day", "model", "chat"), "help": "a row per day, per model or per chat, then the total"},
            ),
        ),
    ),
    Subcommand(
        "search",
        "search QUERY [--json] [--limit N]",
        "find messages and titles, newest first",
        "termchat.commands:search_cmd",
        (
            (
                ("query",),
                {
                    "nargs": "+",
                    "metavar": "QUERY",
                    "help": "words, each matched whole (word* also matches longer words), "
                    'or "a phrase"; all must occur',
                },
            ),
            (("--json",), {**_FLAG, "help": "print a JSON array of {id, title, turn, role, snippet}"}),
            (("--limit",), {"type": int, "default": 50, "metavar": "N", "help": "show at most N hits (default 50)"}),
        ),
    ),
    Subcommand(
        "models",
        "models [--json]",
        "the server's models, the default marked",
        "termchat.model_catalog:models_cmd",
        ((("--json",), {**_FLAG, "help": "print a JSON array of {id, owned_by, created, default, aliases}"}),),
    ),
    Subcommand(
        "stores",
        "stores [list|create NAME|add ID FILE...|rm ID]",
        "vector stores for file_search: list, create, add files, delete",
        "termchat.vector_stores:stores_cmd",
        (
            (
                ("action",),
                {
                    "nargs": "?",
                    "choices": ("list", "create", "add", "rm"),
                    "help": "list: the account's stores (the default); create NAME: a "
                    "new store, its id on stdout; add STORE_ID FILE...: upload "
                    "each file, attach it and wait until it is processed; rm "
                    "STORE_ID: delete a store",
                },
            ),
            (("args",), {"nargs": "*", "metavar": "ARG", "help": "NAME, or STORE_ID and FILEs, as the action needs"}),
            (
                ("--json",),
                {**_FLAG, "help": "with list: a JSON array of {id, name, status, files, usage_bytes, created_at}"},
            ),
        ),
    ),
    Subcommand(
        "fork",
        "fork ID [--at N] [-p TEXT]",
        "a new chat holding turns 1..N of chat ID",
        "termchat.commands:fork_cmd",
        (
            _ID,
            (
                ("--at",),
                {
                    "type": int,
                    "metavar": "N",
                    "help": "keep turns 1..N (N counts your prompts, as search --json "
                    "numbers them; default: every turn)",
                },
            ),
            (
                ("-p", "--prompt"),
                {
                    "metavar": "TEXT",
                    "help": "send TEXT (then piped stdin, if any) as the fork's "
                    "next turn; its reply follows the new id",
                },
            ),
        ),
    ),
)

# Root options every subcommand also takes (same help as on the root page).
SHARED_OPTIONS = ("--base-url", "--api-key", "--demo", "--debug")


def subcommand(name: str) -> Subcommand | None:
    """The table entry of a subcommand, or None if `name` is not one."""
    for entry in SUBCOMMANDS:
        if entry.name == name:
            return entry
    return None


def subcommand_arguments(entry: Subcommand) -> tuple[tuple[tuple[str, ...], dict], ...]:
    """A subcommand's own arguments followed by the shared root options."""
    shared = tuple(option for option in ROOT_OPTIONS if option[0][-1] in SHARED_OPTIONS)
    return entry.arguments + shared


def epilog() -> str:
    """The subcommands and examples closing the root help page."""
    rows = [(entry.synopsis, entry.summary) for entry in SUBCOMMANDS]
    rows.append(("SUBCOMMAND --help", "a subcommand's arguments and options"))
    lines = ["subcommands:"]
    for synopsis, summary in rows:
        if len(synopsis) <= 34:
            lines.append(f"  {synopsis:<34} {summary}")
        else:
            lines += [f"  {synopsis}", f"  {'':<34} {summary}"]
    return "\n".join(lines) + "\n\n" + EXAMPLES


# Root options that take a value: needed to find a subcommand written after global options.
VALUE_OPTIONS = frozenset(flag for flags, kw in ROOT_OPTIONS if kw.get("action") != "store_true" for flag in flags)

_BUILTIN = (
    ((("-h", "--help"), None), "show this help message and exit"),
    ((("--version",), None), "show program's version number and exit"),
)


def terminal_width() -> int:
    """What shutil.get_terminal_size() would say, without importing shutil."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout is not None else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _metavar(flags: tuple[str, ...], kw: dict) -> str | None:
    if kw.get("action") == "store_true":
        return None
    if "metavar" in kw:
        return kw["metavar"]
    if "choices" in kw:
        return "{" + ",".join(kw["choices"]) + "}"
    return flags[-1].lstrip("-").replace("-", "_").upper()


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line] if line else lines


def root_help(width: int | None = None) -> str:
    """`termchat --help` for a terminal of `width` columns (argparse's layout)."""
    width = (width or terminal_width()) - 2
    column = min(24, max(width - 20, 4))  # argparse's max_help_position
    entries = [*_BUILTIN, *(((flags, _metavar(flags, kw)), kw["help"]) for flags, kw in ROOT_OPTIONS)]
    # usage line
    prefix = "usage: termchat "
    parts = [f"[{flags[0]} {metavar}]" if metavar else f"[{flags[0]}]" for (flags, metavar), _ in entries]
    parts.append("[TEXT]")
    usage, line = [], prefix
    for part in parts:
        if len(line) + len(part) > width and line.strip() != prefix.strip():
            usage.append(line.rstrip())
            line = " " * len(prefix)
        line += part + " "
    usage.append(line.rstrip())
    # options
    options = []
    help_width = max(width - column, 11)
    for (flags, metavar), text in entries:
        invocation = "  " + ", ".join(f"{flag} {metavar}" if metavar else flag for flag in flags)
        wrapped = _wrap(text, help_width)
        if len(invocation) <= column - 2:
            options.append(invocation.ljust(column) + wrapped[0])
        else:
            options.append(invocation)
            options.append(" " * column + wrapped[0])
        options.extend(" " * column + rest for rest in wrapped[1:])
    positional = [
        "  TEXT".ljust(column) + line if i == 0 else " " * column + line
        for i, line in enumerate(_wrap(ROOT_POSITIONAL[1]["help"], help_width))
    ]
    return "\n".join(
        [*usage, "", DESCRIPTION, "positional arguments:", *positional, "", "options:", *options, "", epilog()]
    )
