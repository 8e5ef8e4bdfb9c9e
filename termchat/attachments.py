"""Files handed to a prompt (`-a FILE`): read and checked before anything is sent, stored with
the message, and turned into the prompt's content parts.

Three kinds, told apart by their bytes (never by the name alone):
- an image (PNG, JPEG, GIF, WebP) becomes an `input_image` part: a `data:` URL up to
  INLINE_IMAGE_LIMIT, else uploaded (`POST /v1/files`, purpose "vision") and sent by `file_id`;
- a PDF is uploaded (purpose "user_data") and sent as an `input_file` part by `file_id`;
- UTF-8 text becomes an `input_text` part: `<file name="NAME">` + the text + `</file>`.

What a message stores of each (its `attachments` column, one JSON object per file): name, kind,
MIME type, size, the file id once uploaded, and, for what has no file id, the one copy of its
content needed to send it again in local mode (a text file's text, an inline image's data URL).
Uploaded bytes stay on the server only: local mode replays them by file id.
"""

from __future__ import annotations

import base64
import os
import stat
from dataclasses import dataclass
from typing import Any

from termchat.errors import UsageError

# A data URL is base64 (4/3 of the bytes) inside the JSON body, stored once in the chat's
# database and, in local mode, sent again with every later turn: beyond this size an upload,
# sent once and then named by its id, is the cheaper way.
INLINE_IMAGE_LIMIT = 1024 * 1024
# The largest of each kind accepted at all. Images: the API's own per-image limit. PDFs: the
# API's limit for file inputs in one request. Text: a megabyte of text is already about 250k
# tokens, more than most models' whole context window.
SIZE_LIMITS = {"image": 20 * 1024 * 1024, "pdf": 32 * 1024 * 1024, "text": 1024 * 1024}
_READ_LIMIT = max(SIZE_LIMITS.values())
UPLOAD_PURPOSE = {"image": "vision", "pdf": "user_data"}

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class Attachment:
    """A file read from disk and checked, ready to send: its bytes are held until the turn."""

    name: str  # the file's base name, as shown and as uploaded
    kind: str  # "image", "pdf" or "text"
    mime: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def needs_upload(self) -> bool:
        return self.kind == "pdf" or (self.kind == "image" and self.size > INLINE_IMAGE_LIMIT)

    def record(self, file_id: str | None = None) -> dict[str, Any]:
        """What the message stores of this file (see the module docstring)."""
        record: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "mime": self.mime,
            "size": self.size,
            "file_id": file_id,
        }
        if self.kind == "text":
            record["text"] = self.data.decode("utf-8")
        elif not self.needs_upload:
            record["data_url"] = f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"
        return record


def sniff(data: bytes) -> tuple[str, str] | None:
    """(kind, MIME type) of a file's bytes, or None for a binary termchat cannot send."""
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return "image", mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image", "image/webp"
    if data.startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text", "text/plain"


def _refuse(path: str, why: str) -> UsageError:
    from termchat.sanitize import strip_control

    return UsageError(f"cannot attach {strip_control(path)}: {why}; nothing was sent")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def read_attachment(path: str) -> Attachment:
    """Read and check one file; a file termchat cannot send raises a one-line UsageError."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise _refuse(path, "no such file") from None
    except OSError as exc:
        raise _refuse(path, exc.strerror or "cannot read it") from None
    if stat.S_ISDIR(info.st_mode):
        raise _refuse(path, "it is a directory (attach the files in it one by one)")
    if stat.S_ISREG(info.st_mode) and info.st_size > _READ_LIMIT:
        raise _refuse(
            path, f"it is {_megabytes(info.st_size)}, larger than any attachment may be ({_megabytes(_READ_LIMIT)})"
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(_READ_LIMIT + 1)  # a pipe (`-a <(cmd)`) has no size to check first
    except OSError as exc:
        raise _refuse(path, exc.strerror or "cannot read it") from None
    if not data:
        raise _refuse(path, "it is empty")
    found = sniff(data)
    if found is None:
        raise _refuse(path, "not an image (png, jpg, gif, webp), a PDF or UTF-8 text")
    kind, mime = found
    if len(data) > SIZE_LIMITS[kind]:
        raise _refuse(
            path,
            f"the {kind} is larger than the {_megabytes(SIZE_LIMITS[kind])} limit for "
            f"{'text files' if kind == 'text' else kind + 's'}",
        )
    name = os.path.basename(os.path.normpath(path)) or path
    # A file name that is not UTF-8 arrives as surrogates, which neither JSON for the server nor
    # SQLite can carry: undecodable bytes become U+FFFD in the name (the file is read as it is).
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return Attachment(name=name, kind=kind, mime=mime, data=data)


def read_attachments(paths: list[str]) -> list[Attachment]:
    """Read and check every file before anything is sent: the first bad one stops them all."""
    return [read_attachment(path) for path in paths]


def upload(api: Any, attachment: Attachment) -> str:
    """Upload a file through the Files API; returns its file id."""
    from termchat.errors import ApiError, NotSupportedError
    from termchat.ids import checked_id

    try:
        answer = api.upload_file(
            name=attachment.name, data=attachment.data, mime=attachment.mime, purpose=UPLOAD_PURPOSE[attachment.kind]
        )
    except NotSupportedError as exc:
        limit = _megabytes(INLINE_IMAGE_LIMIT)
        raise ApiError(
            f"this server has no Files API, so {attachment.name} cannot be sent "
            f"(only images up to {limit} go without an upload)",
            status=exc.status,
        ) from None
    return checked_id(answer.get("id"), what="upload: the file")


def send_files(
    api: Any, store: Any, user_id: int | None, new_items: list[dict[str, Any]], files: list[Attachment]
) -> list[dict[str, Any]]:
    """A turn's files on their way: upload those that go by id, record their ids with the
    prompt (message `user_id`), and return the turn's input with the prompt's content parts."""
    records = [a.record(upload(api, a) if a.needs_upload else None) for a in files]
    if user_id:
        store.update_message(user_id, attachments=records)
    prompt = new_items[0]["content"]
    return [{"role": "user", "content": message_content(prompt, records)}, *new_items[1:]]


# -- content parts ---------------------------------------------------------------------------

TEXT_OPEN = '<file name="{name}">\n'
TEXT_CLOSE = "\n</file>"


def text_part(name: str, text: str) -> dict[str, Any]:
    safe = name.replace('"', "'")
    return {"type": "input_text", "text": TEXT_OPEN.format(name=safe) + text + TEXT_CLOSE}


def content_part(record: dict[str, Any]) -> dict[str, Any]:
    """The input part that sends a stored attachment (again, in local mode)."""
    kind, file_id, name = record.get("kind"), record.get("file_id"), str(record.get("name") or "file")
    if kind == "text" and isinstance(record.get("text"), str):
        return text_part(name, record["text"])
    if kind == "image" and file_id:
        return {"type": "input_image", "file_id": file_id, "detail": "auto"}
    if kind == "image" and isinstance(record.get("data_url"), str):
        return {"type": "input_image", "image_url": record["data_url"], "detail": "auto"}
    if kind == "pdf" and file_id:
        return {"type": "input_file", "file_id": file_id}
    # Its upload failed, or the record came from a server that sent it elsewhere: say so in
    # its place rather than drop it silently.
    return {"type": "input_text", "text": f"[attachment {name} ({kind}) could not be sent again]"}


def message_content(prompt: str, records: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """A user message's content: the prompt alone, or the prompt's text part then one per file."""
    if not records:
        return prompt
    return [{"type": "input_text", "text": prompt}, *(content_part(r) for r in records)]


def records_from_parts(parts: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    """(prompt, attachment records) of a server message's content parts, the reverse of
    `message_content`: a message termchat sent with attachments reads back as it was stored."""
    prompt: list[str] = []
    records: list[dict[str, Any]] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        text = part.get("text")
        if kind == "input_text" and isinstance(text, str):
            head, newline, rest = text.partition("\n")
            if head.startswith('<file name="') and head.endswith('">') and newline and rest.endswith(TEXT_CLOSE):
                body = rest[: -len(TEXT_CLOSE)]
                records.append(
                    {
                        "name": head[len('<file name="') : -2],
                        "kind": "text",
                        "mime": "text/plain",
                        "size": len(body.encode("utf-8")),
                        "file_id": None,
                        "text": body,
                    }
                )
            else:
                prompt.append(text)
        elif kind == "input_image":
            url = part.get("image_url")
            record: dict[str, Any] = {
                "name": "image",
                "kind": "image",
                "mime": "",
                "size": None,
                "file_id": part.get("file_id"),
            }
            if isinstance(url, str) and url.startswith("data:"):
                record["mime"] = url[5:].split(";", 1)[0]
                record["data_url"] = url
            records.append(record)
        elif kind == "input_file":
            records.append(
                {
                    "name": part.get("filename") or "file",
                    "kind": "pdf",
                    "mime": "application/pdf",
                    "size": None,
                    "file_id": part.get("file_id"),
                }
            )
    return "".join(prompt), records


def describe(record: dict[str, Any]) -> str:
    """One line for `show`, exports and the app: name, kind, size, and how it was sent."""
    from termchat.sanitize import strip_control

    name = strip_control(str(record.get("name") or "file"))
    size = record.get("size")
    bits = [str(record.get("kind") or "file")]
    if isinstance(size, int):
        bits.append(f"{size:,} bytes")
    if record.get("file_id"):
        bits.append(strip_control(str(record["file_id"])))
    elif record.get("kind") == "image" and record.get("data_url"):
        bits.append("inline")
    elif record.get("kind") != "text":
        bits.append("not uploaded")
    return f"{name} ({', '.join(bits)})"


def public_record(record: dict[str, Any]) -> dict[str, Any]:
    """An attachment as JSON output shows it: everything but an inline image's bytes."""
    out = {k: record.get(k) for k in ("name", "kind", "mime", "size", "file_id")}
    out["inline"] = bool(record.get("data_url"))
    if isinstance(record.get("text"), str):
        out["text"] = record["text"]
    return out
