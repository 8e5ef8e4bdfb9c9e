"""The subcommands, declared once: `SUBCOMMANDS` holds each one's name, arguments, handler and
its line on the `termchat --help` page.

`cli` builds each subcommand's parser from its entry (its own arguments, then the root options
in `SHARED_OPTIONS`) and imports the handler only when the subcommand runs. Keep this module
free of imports (but import-free ones): `termchat --help` reads it.
"""

from __future__ import annotations

from termchat.cli_options import FLAG, ROOT_OPTIONS


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
                    **FLAG,
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
            (("--json",), {**FLAG, "help": "print the chat as JSON (what export --format json writes)"}),
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
                    **FLAG,
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
            (("--all",), {**FLAG, "help": "with wait: every pending job of this server"}),
            (("--json",), {**FLAG, "help": "the list as a JSON array; with wait, the reply as JSON Lines events"}),
        ),
    ),
    Subcommand("compact", "compact ID", "compact a chat's context window", "termchat.commands:compact_cmd", (_ID,)),
    Subcommand(
        "usage",
        "usage [--by day|model|chat]",
        "tokens, tool fees and dollars spent",
        "termchat.commands:usage_cmd",
        (
            (("--json",), {**FLAG, "help": "print the report as a JSON object"}),
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
            (("--json",), {**FLAG, "help": "print a JSON array of {id, title, turn, role, snippet}"}),
            (("--limit",), {"type": int, "default": 50, "metavar": "N", "help": "show at most N hits (default 50)"}),
        ),
    ),
    Subcommand(
        "models",
        "models [--json]",
        "the server's models, the default marked",
        "termchat.model_catalog:models_cmd",
        ((("--json",), {**FLAG, "help": "print a JSON array of {id, owned_by, created, default, aliases}"}),),
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
                {**FLAG, "help": "with list: a JSON array of {id, name, status, files, usage_bytes, created_at}"},
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
