"""Command line entry point: argument parsing, dispatch, and the one place errors become exit codes.

Kept light on purpose: `--help`, `--version` and `list` must not import openai or Textual.
"""

from __future__ import annotations

import argparse
import os
import sys

from termchat import __version__
from termchat.cli_help import root_help, terminal_width
from termchat.cli_options import ROOT_OPTIONS, ROOT_POSITIONAL, VALUE_OPTIONS
from termchat.cli_subcommands import Subcommand, subcommand, subcommand_arguments
from termchat.errors import EXIT_INTERRUPTED, TermchatError, UsageError
from termchat.output import say, silence_stdout

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `typing` is a start-up cost
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

STDIN_LIMIT = 10 * 1024 * 1024  # bytes; larger input is refused with a clear message
SLOW_STDIN = 1.0  # seconds of silent stdin after which `-p` says it is waiting for it to end


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2) like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")

    def _get_formatter(self) -> argparse.HelpFormatter:
        # Give the width, so argparse does not import shutil for it (a start-up cost).
        # (typeshed's formatter_class type knows only `prog`)
        return self.formatter_class(prog=self.prog, width=terminal_width() - 2)  # type: ignore[call-arg]


class _RootParser(_Parser):
    """The root parser prints `cli_help.root_help()`, the same page the `--help` fast path prints."""

    def format_help(self) -> str:
        return root_help()


def _root_parser() -> argparse.ArgumentParser:
    parser = _RootParser(prog="termchat")
    parser.add_argument("--version", action="version", version=f"termchat {__version__}")
    for flags, kw in ROOT_OPTIONS:
        parser.add_argument(*flags, **kw)
    parser.add_argument(*ROOT_POSITIONAL[0], **ROOT_POSITIONAL[1])
    return parser


def _sub_parser(entry: Subcommand) -> argparse.ArgumentParser:
    parser = _Parser(prog=f"termchat {entry.name}", description=entry.summary)
    for flags, kw in subcommand_arguments(entry):
        parser.add_argument(*flags, **kw)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        found = _find_subcommand(args_list)
        if found is not None:
            index, entry = found
            args = _sub_parser(entry).parse_args(args_list[:index] + args_list[index + 1 :])
            args.command = entry.name
        else:
            args = _root_parser().parse_args(args_list)
            args.command = None
            args.after_dashes = "--" in args_list
        _check_text(args)
        return _dispatch(args)
    except TermchatError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        say(exc.one_line(), level="error")
        return exc.exit_code
    except KeyboardInterrupt:
        say("interrupted", level="error")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        silence_stdout()
        return 0


def _find_subcommand(argv: list[str]) -> tuple[int, Subcommand] | None:
    """The subcommand and its position, if any: the first positional word (`termchat --demo list`)."""
    skip = False
    for index, token in enumerate(argv):
        if skip:
            skip = False
            continue
        if token == "--":
            return None
        if token.startswith("-"):
            skip = token in VALUE_OPTIONS
            continue
        entry = subcommand(token)
        return None if entry is None else (index, entry)
    return None


PATH_ARGS = ("schema", "output", "args", "attach")  # file names: any bytes the file system takes


def _check_text(args: argparse.Namespace) -> None:
    """Refuse an argument that is not valid UTF-8 (Python hands its bytes over as surrogates)."""
    for name, value in vars(args).items():
        if name in PATH_ARGS:
            continue
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    flag = {
                        "prompt": "-p",
                        "text": "the prompt",
                        "id": "the id",
                        "query": "the query",
                        "action": "the action",
                        "options": "-o",
                    }.get(name, "--" + name.replace("_", "-"))
                    raise UsageError(
                        f"{flag} is not valid UTF-8 text", hint="check the shell's or the terminal's encoding"
                    ) from None


def _dispatch(args: argparse.Namespace) -> int:
    from termchat.app_context import AppContext

    ctx = AppContext.from_args(args)
    try:
        entry = subcommand(args.command) if args.command else None
        if entry is not None:
            from importlib import import_module

            module, _, function = entry.handler.partition(":")
            return getattr(import_module(module), function)(ctx, args)
        return _chat(ctx, args)
    finally:
        ctx.close()


def read_stdin(*, say_when_slow: bool = False) -> str | None:
    """Read stdin to EOF as text when it is not a terminal, as every Unix filter does.

    `</dev/null` is how a caller says "no stdin". With `say_when_slow`, a terminal user whose
    stdin stays silent is told what termchat is waiting for.
    """
    stream = sys.stdin
    if stream is None or stream.closed:
        return None
    try:
        if stream.isatty():
            return None
        fd = stream.fileno()
    except (OSError, ValueError):
        return None
    if say_when_slow and _stderr_is_tty():
        import select

        try:
            ready, _, _ = select.select([fd], [], [], SLOW_STDIN)
        except (OSError, ValueError):
            ready = [fd]
        if not ready:
            say("reading stdin until it ends (add </dev/null to send only -p TEXT)")
    chunks = []
    size = 0
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        size += len(chunk)
        if size > STDIN_LIMIT:
            raise UsageError(
                f"stdin is larger than the {STDIN_LIMIT // (1024 * 1024)} MB limit",
                hint="trim the input or send a summary",
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    if b"\x00" in data:
        raise UsageError("stdin looks like binary data (it contains NUL bytes); send text")
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text and "\ufffd".encode() not in data:
        say("stdin was not valid UTF-8; undecodable bytes were replaced", level="note")
    return text


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def build_prompt(text: str | None, stdin_text: str | None) -> str | None:
    """The prompt is TEXT, a blank line, then stdin (either part may be missing)."""
    parts = [p for p in (text, stdin_text) if p is not None and p.strip()]
    if not parts:
        return None if text is None and stdin_text is None else ""
    return "\n\n".join(p.rstrip("\n") if i == 0 and len(parts) > 1 else p for i, p in enumerate(parts))


def _positional_prompt(args: argparse.Namespace) -> None:
    """`termchat "TEXT"` is `termchat -p "TEXT"`; a near miss of a subcommand's name is not sent."""
    text = getattr(args, "text", None)
    if text is None:
        return
    if args.prompt is not None:
        raise UsageError("give the prompt once: as TEXT or with -p TEXT, not both")
    word = text.strip()
    if word and len(word.split()) == 1 and not getattr(args, "after_dashes", False):
        from difflib import get_close_matches

        from termchat.cli_subcommands import SUBCOMMANDS

        close = get_close_matches(word.lower(), [entry.name for entry in SUBCOMMANDS], n=1, cutoff=0.75)
        if close:
            raise UsageError(
                f"'{word}' is not a subcommand; did you mean `termchat {close[0]}`?",
                hint=f"to send it as a prompt: termchat -p {word}",
            )
    args.prompt = text


def _chat(ctx: Any, args: argparse.Namespace) -> int:
    _positional_prompt(args)
    stdin_tty = bool(sys.stdin) and not sys.stdin.closed and sys.stdin.isatty()
    stdout_tty = sys.stdout.isatty()
    one_shot = args.prompt is not None or not stdin_tty
    if args.wait and not args.background:
        raise UsageError("--wait only makes sense with --background")
    if args.resend:
        if args.prompt is not None or args.estimate:
            raise UsageError("--resend sends the chat's stored prompt: it takes no -p TEXT or --estimate")
        from termchat.oneshot import resend_one_shot

        if args.attach:  # the files of a stored prompt are not kept for a later send
            from termchat.attachments import read_attachments

            args.attachments = read_attachments(args.attach)
        return resend_one_shot(ctx, args)
    if args.estimate and not one_shot:
        raise UsageError("--estimate needs a prompt: -p TEXT or piped stdin")
    if args.attach and not one_shot:
        raise UsageError('-a goes with a prompt: termchat -a FILE "TEXT" (or -p TEXT, or piped stdin)')
    if args.attach and args.estimate:
        raise UsageError("--estimate does not count attachments; leave out -a to estimate the text")
    if not one_shot:
        if not stdout_tty:
            raise UsageError("nothing to send: use -p TEXT or pipe a prompt (the app needs a terminal)")
        from termchat.tui.launch import run_app

        return run_app(ctx, args)
    if args.attach:
        from termchat.attachments import read_attachments

        # Every file is read and checked before stdin is read or anything is stored or sent.
        args.attachments = read_attachments(args.attach)
    stdin_text = read_stdin(say_when_slow=args.prompt is not None)
    prompt = build_prompt(args.prompt, stdin_text)
    if prompt is None or not prompt.strip():
        raise UsageError("empty prompt: give -p TEXT or pipe some text")
    if args.estimate:
        from termchat.estimate import run_estimate

        return run_estimate(ctx, args, prompt)
    from termchat.oneshot import run_one_shot

    return run_one_shot(ctx, args, prompt)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
