"""The `termchat` command: `--version`, `--help`, `list` and `search` take fast paths, the rest the full CLI."""

from __future__ import annotations

import sys


def main() -> int:
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from termchat import __version__

        sys.stdout.write(f"termchat {__version__}\n")
        return 0
    if argv == ["--help"] or argv == ["-h"]:
        from termchat.cli_help import root_help

        try:
            sys.stdout.write(root_help())
            sys.stdout.flush()
        except BrokenPipeError:
            pass
        return 0
    if argv[:1] == ["list"]:
        from termchat.listing import fast_list

        try:
            code = fast_list(argv[1:])
        except BrokenPipeError:
            code = None
        if code is not None:
            return code
    if argv[:1] == ["search"]:
        from termchat.search import fast_search

        try:
            code = fast_search(argv[1:])
        except BrokenPipeError:
            code = None
        if code is not None:
            return code
    from termchat.cli import main as full_main

    return full_main(argv)
