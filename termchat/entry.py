"""The `termchat` console script: `list` takes a fast path, everything else the full CLI."""

from __future__ import annotations

import sys


def main() -> int:
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from termchat import __version__

        sys.stdout.write(f"termchat {__version__}\n")
        return 0
    if argv[:1] == ["list"]:
        from termchat.listing import fast_list

        try:
            code = fast_list(argv[1:])
        except BrokenPipeError:
            code = None
        if code is not None:
            return code
    from termchat.cli import main as full_main

    return full_main(argv)
