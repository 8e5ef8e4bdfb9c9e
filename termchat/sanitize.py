"""Make untrusted text (model output, titles, tool output) safe to show in a terminal.

A model, a web page it quoted or an MCP server can put terminal control sequences in text:
OSC 52 writes the clipboard, OSC 8 hides a link target, `ESC[2J` clears the screen, `ESC]0;`
sets the window title, bidi overrides reorder what the reader sees. `strip_control` removes all
of them in one regex pass; `StreamSanitizer` does the same for a stream of deltas whose escape
sequences may be split across chunks.

How a sequence ends follows ECMA-48 as terminals parse it: a control string (OSC, DCS, SOS, PM,
APC) runs to BEL or ST and is cut short by ESC or any C1 control; an unterminated one is dropped
up to the end of its line (a terminal would swallow even more). Nothing in a sequence's body can
be ESC or C1, which is what lets the stream sanitizer cut chunks safely.
"""

from __future__ import annotations

import re

__all__ = ["StreamSanitizer", "escape_content_markup", "escape_markup", "safe_title", "strip_control"]

# Characters removed wherever they appear (ESC and the C1 introducers DCS, SOS, CSI, OSC, PM and
# APC are left out of this class: the sequence patterns below remove them with their bodies):
# - C0 controls except TAB and LF (CR too: "\r\n" becomes "\n", a lone "\r" would let text
#   overwrite the start of its own line), DEL, and 8-bit C1 controls U+0080-U+009F;
# - U+2028/U+2029 line/paragraph separators (str.splitlines and some renderers break on them);
# - bidi embeddings/overrides U+202A-U+202E and isolates U+2066-U+2069 ("Trojan Source");
# - invisible format characters: U+2060-U+2064 (word joiner, invisible operators),
#   U+206A-U+206F (deprecated format controls), U+FEFF (BOM / zero width no-break space) and
#   U+FFF9-U+FFFB (interlinear annotation).
# Kept on purpose: ZWJ U+200D (emoji sequences), ZWNJ U+200C (Persian, Indic scripts), LRM/RLM
# U+200E/U+200F (they cannot reorder text beyond a neighbour), variation selectors, tags.
_DROP_CHARS = (
    "\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x8f\x91-\x97\x99\x9a\x9c"
    "\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)

_STRING_INTRO = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])"  # OSC DCS SOS PM APC (7- and 8-bit)
_CSI_INTRO = r"(?:\x1b\[|\x9b)"
# Every match starts with one of these characters. The leading lookahead lets the regex engine
# skip ordinary text quickly (about 3x faster than trying each alternative at every position).
_FIRST_CHARS = "\x1b\x90\x98\x9b\x9d-\x9f" + _DROP_CHARS
_ANY_CONTROL = re.compile("[" + _FIRST_CHARS + "]")
_CONTROL = re.compile(
    "(?=["
    + _FIRST_CHARS
    + "])(?:"
    +
    # control strings: body up to BEL / ST, or up to the next ESC / C1 / newline / end of text
    _STRING_INTRO
    + r"[^\x07\x1b\x80-\x9f\n]*(?:\x07|\x1b\\|\x9c)?"
    # CSI: parameter bytes, intermediate bytes, final byte
    r"|" + _CSI_INTRO + r"[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    # other escapes: ESC, intermediates (nF), final byte (Fp, Fe, Fs), or a lone ESC
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
    # single characters
    r"|[" + _DROP_CHARS + r"]+"
    ")"
)

# A sequence that is still open at the end of a chunk: more input could extend it.
_OPEN_AT_END = re.compile(
    _STRING_INTRO + r"[^\x07\x1b\x80-\x9f\n]*"
    r"|" + _CSI_INTRO + r"[\x30-\x3f]*[\x20-\x2f]*"
    r"|\x1b[\x20-\x2f]*"
)
# Where a sequence may start: ESC or a C1 control.
_INTRODUCER = re.compile(r"[\x1b\x80-\x9f]")


def strip_control(text: str, *, keep_newlines: bool = True) -> str:
    """Remove terminal escape sequences and dangerous control/format characters from `text`.

    Tabs, newlines (unless `keep_newlines` is False: then each newline becomes a space) and all
    printable Unicode, including emoji and ZWJ sequences, are kept unchanged.
    """
    # Most text has nothing to remove: one fast character-class scan proves it.
    cleaned = _CONTROL.sub("", text) if _ANY_CONTROL.search(text) else text
    return cleaned if keep_newlines else cleaned.replace("\n", " ")


class StreamSanitizer:
    """`strip_control` for text that arrives in chunks.

    `feed(chunk)` returns the text that is safe to show so far; an escape sequence that is still
    open at the end of a chunk is held back until the next chunk completes it. The output of all
    `feed` calls plus `flush()` equals `strip_control` of the concatenated input, wherever the
    chunks were split. The hold-back is bounded: an open sequence longer than `max_pending`
    characters is shortened to its introducer plus first and last body characters, which keeps
    the parser state (the body is dropped anyway), so memory stays bounded even for an endless
    OSC payload.
    """

    def __init__(self, *, keep_newlines: bool = True, max_pending: int = 4096) -> None:
        self._keep_newlines = keep_newlines
        self._max_pending = max(max_pending, 3)
        self._pending = ""

    def feed(self, chunk: str) -> str:
        """Sanitize `chunk`, holding back an escape sequence that may continue in the next."""
        text = self._pending + chunk if self._pending else chunk
        self._pending = ""
        start = _last_introducer(text)
        if start >= 0:
            match = _OPEN_AT_END.match(text, start)
            if match is not None and match.end() == len(text):
                pending = text[start:]
                if len(pending) > self._max_pending:
                    # The body of an open sequence is a run of one or two character classes
                    # (A*B*); its introducer plus its first and last body characters are in
                    # the same parser state as the whole, and none of it is ever shown.
                    intro = 2 if pending[0] == "\x1b" and pending[1] in "[]PX^_" else 1
                    pending = pending[: intro + 1] + pending[-1]
                self._pending = pending
                text = text[:start]
        return strip_control(text, keep_newlines=self._keep_newlines)

    def flush(self) -> str:
        """End of stream: sanitize and return whatever is held back."""
        text, self._pending = self._pending, ""
        return strip_control(text, keep_newlines=self._keep_newlines)


def _last_introducer(text: str) -> int:
    """Index of the last ESC or C1 character in `text`, or -1."""
    if text.isascii():  # the common case: no C1 controls possible
        return text.rfind("\x1b")
    last = -1
    for match in _INTRODUCER.finditer(text):
        last = match.start()
    return last


def safe_title(text: str, max_len: int = 80) -> str:
    """One line for a title: controls stripped, whitespace collapsed, truncated with "…"."""
    title = " ".join(strip_control(text, keep_newlines=False).split())
    if len(title) <= max_len:
        return title
    if max_len <= 1:
        return "…"[:max_len]
    # Do not leave half an emoji sequence dangling before the ellipsis.
    return title[: max_len - 1].rstrip().rstrip("\u200d\ufe0f") + "…"


_RICH_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def escape_markup(text: str) -> str:
    """Escape Rich console markup in `text`, exactly as `rich.markup.escape` does.

    Only `[` that could start a Rich tag is escaped (as `\\[`), and backslashes in front of it
    are doubled, so the text renders literally through Rich's markup parser. For Textual
    `Content` markup use `escape_content_markup`, which is stricter.
    """

    def double_backslashes(match: re.Match[str]) -> str:
        backslashes, tag = match.groups()
        return f"{backslashes}{backslashes}\\{tag}"

    escaped = _RICH_TAG.sub(double_backslashes, text)
    if escaped.endswith("\\") and not escaped.endswith("\\\\"):
        return escaped + "\\"
    return escaped


def escape_content_markup(text: str) -> str:
    """Escape text for Textual `Content.from_markup` (also used by `Static`, `Label`, ...).

    Textual's parser opens a tag at any unescaped `[`, including `[$var]`, `[B]` and `[ x]`,
    which `escape_markup` (Rich's rule) leaves alone; so every `[` is escaped here.
    """
    return text.replace("[", "\\[")


# Characters JSON may carry raw but a terminal would act on: C0/C1 controls, DEL and the
# invisible / bidi characters above. `json.dumps` escapes C0 itself; the rest are escaped here.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")


def safe_json(value: object, *, indent: int | None = None) -> str:
    """`json.dumps` that keeps Unicode readable but escapes every character a terminal acts on.

    Those characters only occur inside JSON strings, so replacing them with `\\uXXXX` escapes
    keeps the document valid and decodes to the same value.
    """
    import json

    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
