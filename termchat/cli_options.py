"""The root command's options, declared once: what `termchat [OPTIONS] [TEXT]` takes.

`ROOT_OPTIONS` is the one list of root options, each (flags, argparse keywords) with its help
line: `cli` hands them to argparse as they are, and `cli_help` lays the same entries out as the
`--help` page. Keep this module free of imports (but import-free ones): `termchat --help`
reads it.
"""

from __future__ import annotations

from termchat.state_modes import STATE_MODES

# argparse keywords shared by many options (copied into each option's own dict).
FLAG = {"action": "store_true"}
REPEATABLE = {"action": "append", "default": []}

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
            **REPEATABLE,
            "metavar": "FILE",
            "help": "send FILE with the prompt (repeatable): an image (png, jpg, gif, "
            "webp), a PDF, or a UTF-8 text file",
        },
    ),
    (("-c", "--continue"), {**FLAG, "dest": "continue_", "help": "continue the most recently active chat"}),
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
            **REPEATABLE,
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
            **REPEATABLE,
            "metavar": "NAME",
            "help": "enable a tool: web_search, file_search:VS_ID, code_interpreter[:4g], mcp:LABEL "
            "(repeatable; a continued chat keeps its tools unless given)",
        },
    ),
    (("--no-tools",), {**FLAG, "help": "turn off the tools a continued chat has stored (also: --tool none)"}),
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
    (("--var",), {**REPEATABLE, "metavar": "KEY=VALUE", "help": "a variable for --prompt-id (repeatable)"}),
    (("--background",), {**FLAG, "help": "run as a background job and print its id"}),
    (("--wait",), {**FLAG, "help": "with --background: wait for the job and print only its reply"}),
    (
        ("--estimate",),
        {**FLAG, "help": "with -p: count the input tokens and input cost the turn would have; send nothing"},
    ),
    (("--force",), {**FLAG, "help": "send even when a [budget] limit is spent"}),
    (
        ("--resend",),
        {
            **FLAG,
            "help": "with -c or --conversation ID: send the chat's last prompt again, "
            "one that was not sent (refused by a budget, or failed)",
        },
    ),
    (("--json",), {**FLAG, "help": "print JSON Lines events instead of plain text"}),
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
    (("--demo",), {**FLAG, "help": "use the built-in fake API: no key, no network"}),
    (("--debug",), {**FLAG, "help": "show tracebacks on errors"}),
)

# Root options that take a value: needed to find a subcommand written after global options.
VALUE_OPTIONS = frozenset(flag for flags, kw in ROOT_OPTIONS if kw.get("action") != "store_true" for flag in flags)
