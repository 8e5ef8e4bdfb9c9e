"""Untrusted text cannot drive the terminal: hostile corpus, streaming splits, markup escaping."""

from __future__ import annotations

import re

import pytest

from termchat.sanitize import StreamSanitizer, escape_content_markup, escape_markup, safe_title, strip_control

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"

# (name, hostile text, expected output)
HOSTILE = [
    ("osc52 clipboard, BEL", f"a{ESC}]52;c;ZWNobyBwd25lZA=={BEL}b", "ab"),
    ("osc52 clipboard, ST", f"a{ESC}]52;c;ZWNobyBwd25lZA=={ST}b", "ab"),
    ("osc52 clipboard, 8-bit", "a\x9d52;c;ZWNobw==\x9cb", "ab"),
    ("clear screen", f"before{ESC}[2Jafter", "beforeafter"),
    ("alternate screen", f"x{ESC}[?1049hy{ESC}[?1049lz", "xyz"),
    ("osc8 hyperlink", f"{ESC}]8;;https://evil.example/{ST}click me{ESC}]8;;{ST}", "click me"),
    ("osc8 hyperlink, BEL", f"{ESC}]8;id=1;http://x{BEL}text{ESC}]8;;{BEL}", "text"),
    ("cursor movement", f"{ESC}[10;20H{ESC}[3A{ESC}[2K{ESC}7{ESC}8ok", "ok"),
    ("sgr colours", f"{ESC}[1;31mred{ESC}[0m", "red"),
    ("8-bit csi", "a\x9b2Jb\x9b31mc", "abc"),
    ("c1 controls", "a\x85b\x84c\x8dd\x9ce", "abcde"),
    ("bidi overrides", "user\u202etxt.exe\u202c \u2066x\u2069 \u202a\u202b\u202d", "usertxt.exe x "),
    ("title set", f"{ESC}]0;pwned{BEL}{ESC}]2;also{ST}hello", "hello"),
    ("dcs", f"{ESC}P1$r0m{ST}x{ESC}Pq#0;2;0;0;0#0~~{ST}y", "xy"),
    ("sos pm apc", f"{ESC}Xsos{ST}{ESC}^pm{ST}{ESC}_apc{ST}ok", "ok"),
    ("nul bytes", "a\x00b\x00\x00c", "abc"),
    ("carriage return overwrite", "rm -rf /\rls -l       ", "rm -rf /ls -l       "),
    ("crlf", "line1\r\nline2\r\n", "line1\nline2\n"),
    ("full reset and charset", f"{ESC}c{ESC}(0lqk{ESC}(B{ESC}#8", "lqk"),
    ("lone esc at end", f"text{ESC}", "text"),
    ("unterminated osc", f"ok{ESC}]52;c;AAAA\nnext line", "ok\nnext line"),
    ("osc cut by esc", f"{ESC}]0;title{ESC}[31mred", "red"),
    ("bell backspace del", "a\x07b\x08c\x7fd\x0be\x0cf", "abcdef"),
    ("invisible format", "a\u2060b\ufeffc\u2064d\u206ae\ufff9f", "abcdef"),
    ("line separators", "a\u2028b\u2029c", "abc"),
    ("control then sequence", f"\x01{ESC}[2J\x02", ""),
]

ORDINARY = [
    "plain ASCII text, with punctuation: [brackets] {braces} (parens) ~!@#$%^&*",
    "tabs\tand\nnewlines\n\n  indented",
    "Unicode: naïve café, Ελληνικά, русский, 日本語, 한국어, עברית, العربية",
    "emoji: 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 🇫🇷 🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "joiners kept: \u200d \u200c and marks \u200e\u200f",
    "code: `printf '%s\\n' \"$x\" | grep -E '^[a-z]+$'`",
    "",
]

DANGEROUS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(("name", "text", "expected"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_sequences_are_removed(name: str, text: str, expected: str) -> None:
    out = strip_control(text)
    assert out == expected
    assert not DANGEROUS.search(out)


def test_all_hostile_strings_together_leave_nothing_dangerous() -> None:
    blob = "".join(text for _, text, _ in HOSTILE) * 3
    assert not DANGEROUS.search(strip_control(blob))


def test_every_esc_or_c1_anywhere_is_removed() -> None:
    # Any single control after any printable prefix: nothing dangerous survives.
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]:
        for follow in ["", "[", "]", "P", "[1;2", "]0;x", "\\", "A", "é"]:
            out = strip_control(f"x{chr(code)}{follow}y")
            assert not DANGEROUS.search(out), (hex(code), follow, out)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert strip_control(text) == text


def test_keep_newlines_false_turns_newlines_into_spaces() -> None:
    assert strip_control("a\nb\r\nc\td", keep_newlines=False) == "a b c\td"


def test_a_megabyte_of_hostile_text_is_cleaned() -> None:
    # How fast is measured in benchmarks/bench_streaming.py ("sanitize 1 MB"), not here.
    plain = "Hello wörld 👨‍👩‍👧 tab\there\n" * 40_000  # ~1 MB
    hostile = f"ok {ESC}[2J {ESC}]52;c;aGVsbG8={BEL} \x9b31m x\u202e\r\n" * 25_000
    unchanged = strip_control(plain) == plain  # (a bool: no megabyte-long diff on failure)
    assert unchanged
    cleaned = strip_control(hostile)
    assert set(cleaned.splitlines()) == {"ok    x"} and cleaned.count("\n") == 25_000


# --- streaming ----------------------------------------------------------------------------------


def _stream(chunks: list[str], **kwargs: int) -> str:
    sanitizer = StreamSanitizer(**kwargs)
    return "".join(sanitizer.feed(chunk) for chunk in chunks) + sanitizer.flush()


STREAM_CASES = [text for _, text, _ in HOSTILE] + [
    "".join(text for _, text, _ in HOSTILE[:8]),
    f"safe {ESC}]8;;http://x{ST}link{ESC}]8;;{ST} \x9d0;t\x07 done\r\n{ESC}[38;2;1;2;3m👍🏽",
]


@pytest.mark.parametrize("text", STREAM_CASES)
def test_stream_every_split_point_matches_whole_text(text: str) -> None:
    expected = strip_control(text)
    for i in range(len(text) + 1):
        assert _stream([text[:i], text[i:]]) == expected, i
    # and two splits
    for i in range(len(text) + 1):
        for j in range(i, len(text) + 1, 3):
            assert _stream([text[:i], text[i:j], text[j:]]) == expected, (i, j)


@pytest.mark.parametrize("text", STREAM_CASES)
def test_stream_one_character_at_a_time(text: str) -> None:
    assert _stream(list(text)) == strip_control(text)


def test_stream_passes_ordinary_text_through_immediately() -> None:
    sanitizer = StreamSanitizer()
    assert sanitizer.feed("Hello, ") == "Hello, "
    assert sanitizer.feed("wörld 👍\n") == "wörld 👍\n"
    assert sanitizer.flush() == ""


def test_stream_holds_back_only_an_open_sequence() -> None:
    sanitizer = StreamSanitizer()
    assert sanitizer.feed(f"red{ESC}[3") == "red"
    assert sanitizer.feed("1mtext") == "text"
    assert sanitizer.feed(f"x{ESC}]52;c;AAAA") == "x"
    assert sanitizer.feed(f"BBBB{BEL}y") == "y"


def test_stream_holdback_is_bounded_and_still_exact() -> None:
    payload = "A" * 20_000
    text = f"a{ESC}]52;c;{payload}{BEL}b{ESC}[{'1;' * 5000}$ Jc{ESC}(" + " " * 9000 + "0d"
    sanitizer = StreamSanitizer(max_pending=100)
    out = ""
    for i in range(0, len(text), 7):
        out += sanitizer.feed(text[i : i + 7])
        assert len(sanitizer._pending) <= 100 + 7
    out += sanitizer.flush()
    assert out == strip_control(text) == "abcd"


def test_stream_unterminated_sequence_is_dropped_on_flush() -> None:
    sanitizer = StreamSanitizer()
    assert sanitizer.feed(f"ok{ESC}]0;never ends") == "ok"
    assert sanitizer.flush() == ""


# --- titles and markup --------------------------------------------------------------------------


def test_safe_title_strips_collapses_and_truncates() -> None:
    assert safe_title(f"  {ESC}]0;x{BEL}Hello\n\n  {ESC}[31mworld\t! ") == "Hello world !"
    long = "word " * 40
    title = safe_title(long, max_len=20)
    assert len(title) <= 20 and title.endswith("…") and title.startswith("word word")
    assert safe_title("short", max_len=80) == "short"
    assert safe_title("abc", max_len=1) == "…"


def test_safe_title_does_not_leave_a_dangling_joiner() -> None:
    title = safe_title("ab👨\u200d👩", max_len=4)
    assert title == "ab👨…"


MARKUP_CASES = [
    "[bold]x[/bold]",
    "[red]alert[/red] [link=http://evil]click[/link]",
    "\\[bold]already escaped",
    "ends with a backslash\\",
    "ends with two\\\\",
    "[1, 2, 3] and a[i] and [/]",
    "[@click=app.quit]quit[/]",
    "[#ff0000]hex[/]",
    "nothing to do",
]


@pytest.mark.parametrize("text", MARKUP_CASES)
def test_escape_markup_matches_rich(text: str) -> None:
    from rich.markup import escape

    assert escape_markup(text) == escape(text)


@pytest.mark.parametrize("text", [t for t in MARKUP_CASES if not t.endswith("\\")])
def test_escaped_markup_renders_literally_in_rich(text: str) -> None:
    from rich.text import Text

    assert Text.from_markup(escape_markup(text)).plain == text
    # and markup after it still works
    assert Text.from_markup(escape_markup(text) + "[bold]y[/bold]").plain == text + "y"


def test_escaped_trailing_backslash_cannot_escape_the_next_tag() -> None:
    from rich.text import Text

    rendered = Text.from_markup(escape_markup("path\\") + "[bold]y[/bold]")
    assert rendered.plain.endswith("y") and "[bold]" not in rendered.plain


@pytest.mark.parametrize("text", [*MARKUP_CASES, "[$accent]x[/]", "[B]x[/B]", "[ bold]x"])
def test_escaped_content_markup_renders_literally_in_textual(text: str) -> None:
    from textual.content import Content

    assert Content.from_markup(escape_content_markup(text)).plain == text


def test_escape_markup_does_not_import_rich_at_module_import() -> None:
    import subprocess
    import sys

    code = "import sys, termchat.sanitize; print('rich' in sys.modules, 'textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
