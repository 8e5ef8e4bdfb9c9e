"""The root options of `termchat`, and its `--help` page formatted without argparse.

`ROOT_OPTIONS` is the one list of root options: `cli` hands each entry to argparse as is, and
`root_help` lays the same entries out the way argparse would (usage line, option column at 24,
help wrapped to the terminal), so `termchat --help` never imports argparse, `re` or textwrap:
together they are ~7 ms, most of the command's time. Keep this module free of imports.
"""

from __future__ import annotations

import os
import sys

DESCRIPTION = """\
A terminal chat client for OpenAI's Responses and Conversations APIs.

On a terminal, `termchat` opens the chat app. With -p TEXT or piped stdin it sends one
prompt and streams the reply to stdout (plain text, or JSON Lines with --json).
"""

EPILOG = """\
subcommands:
  list [--json]                      chats, newest activity first
  show ID                            print a chat's transcript
  export ID --format md|json         export a chat
  rm ID [--remote]                   delete a chat (and its server conversation)
  jobs [--json] | jobs wait ID | jobs cancel ID
  compact ID                         compact a chat's context window

examples:
  termchat --demo                    try it with the built-in fake API, no key needed
  termchat -p "explain TCP slow start"
  git diff | termchat -p "review this diff"
  termchat -c -p "and in one sentence?"      continue the latest chat
  termchat --conversation conv_abc123        resume a chat from any machine

environment: OPENAI_API_KEY, OPENAI_BASE_URL, TERMCHAT_CONFIG, TERMCHAT_DATA_DIR, NO_COLOR
exit codes: 0 ok, 1 API/network error, 2 usage/config error, 130 interrupted
"""

_FLAG = {"action": "store_true"}
_LIST = {"action": "append", "default": []}

# (flags, argparse keyword arguments): the order is the order of the help page.
ROOT_OPTIONS: tuple[tuple[tuple[str, ...], dict], ...] = (
    (("-p", "--prompt"), {"metavar": "TEXT", "help": "send TEXT (then piped stdin, if any) and exit"}),
    (("-c", "--continue"), {**_FLAG, "dest": "continue_", "help": "continue the most recently active chat"}),
    (("--conversation",), {"metavar": "ID", "help": "continue the chat with this id (conv_… or local id)"}),
    (("--model",), {"help": "model to use (default from config)"}),
    (("--state",), {"choices": ("conversation", "chain", "local"),
                    "help": "how context is kept: server conversation, previous_response_id chain, "
                            "or local history"}),
    (("--instructions",), {"metavar": "TEXT", "help": "system instructions for this chat"}),
    (("--tool",), {**_LIST, "metavar": "NAME",
                   "help": "enable a tool: web_search, file_search:VS_ID, code_interpreter[:4g], mcp:LABEL"}),
    (("--tool-choice",), {"metavar": "CHOICE", "help": "auto, none, required, or a tool name"}),
    (("--schema",), {"metavar": "FILE", "help": "JSON Schema file: ask for structured output"}),
    (("--approve-mcp",), {"choices": ("always", "never"),
                          "help": "answer MCP approval requests without asking (default: ask on a "
                                  "terminal, else never)"}),
    (("--prompt-id",), {"metavar": "ID", "help": "use a stored prompt (Prompts API)"}),
    (("--prompt-version",), {"metavar": "V", "help": "version of --prompt-id"}),
    (("--var",), {**_LIST, "metavar": "KEY=VALUE", "help": "a variable for --prompt-id (repeatable)"}),
    (("--background",), {**_FLAG, "help": "run as a background job and print its id"}),
    (("--wait",), {**_FLAG, "help": "with --background: wait for the job to finish"}),
    (("--json",), {**_FLAG, "help": "print JSON Lines events instead of plain text"}),
    (("--base-url",), {"metavar": "URL", "help": "any Responses-compatible server (env OPENAI_BASE_URL)"}),
    (("--api-key",), {"metavar": "KEY", "help": "API key (prefer env OPENAI_API_KEY)"}),
    (("--timeout",), {"type": float, "metavar": "SECONDS",
                      "help": "give up on a silent server after this long (default 120)"}),
    (("--demo",), {**_FLAG, "help": "use the built-in fake API: no key, no network"}),
    (("--debug",), {**_FLAG, "help": "show tracebacks on errors"}),
)

# Root options that take a value: needed to find a subcommand written after global options.
VALUE_OPTIONS = frozenset(flag for flags, kw in ROOT_OPTIONS if kw.get("action") != "store_true"
                          for flag in flags)

_BUILTIN = (((("-h", "--help"), None), "show this help message and exit"),
            ((("--version",), None), "show program's version number and exit"))


def terminal_width() -> int:
    """What shutil.get_terminal_size() would say, without importing shutil."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
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
    return "\n".join([*usage, "", DESCRIPTION, "options:", *options, "", EPILOG])
