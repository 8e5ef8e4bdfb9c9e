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

    code = full_main(argv)
    _leave_stuck_threads(code)
    return code


def _leave_stuck_threads(code: int) -> None:
    """Exit now if a worker thread outlived the command (the app quit while one was blocked on
    the network): the interpreter would otherwise wait for it at exit, where a Ctrl+C prints a
    traceback from `threading._shutdown`. Threads that are stopping get a moment to save."""
    import threading

    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if not others:
        return
    try:
        for thread in others:
            thread.join(timeout=1.0)
    except KeyboardInterrupt:
        code = 130
    if any(thread.is_alive() for thread in others):
        import atexit
        import os

        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        atexit._run_exitfuncs()
        os._exit(code)
