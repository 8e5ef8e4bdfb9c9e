"""The `termchat --help` page, laid out without argparse.

`root_help` lays out the root options (`cli_options`) and the subcommands' lines
(`cli_subcommands`) the way argparse would (usage line, option column at 24, help wrapped to the
terminal), so `termchat --help` never imports argparse, `re` or textwrap, which would be most of
the command's time. Keep this module free of imports (but import-free ones).
"""

from __future__ import annotations

import os
import sys

from termchat.cli_options import ROOT_OPTIONS, ROOT_POSITIONAL
from termchat.cli_subcommands import SUBCOMMANDS

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
