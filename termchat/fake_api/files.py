"""The Files API of the fake: `POST /v1/files` (multipart), `GET /v1/files[/{id}]`, `DELETE /v1/files/{id}`.

Uploaded bytes are kept in memory, so tests can compare what arrived with what was sent, and
the fake model can name the files a prompt refers to by `file_id` (see model.attachment_notes).
Answers are the SDK's own `FileObject` / `FileDeleted` shapes, as in the recordings.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from . import sdk
from .state import ApiError

# The purposes the real endpoint accepts for uploads.
PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")


@dataclass(frozen=True)
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    content_type: str
    created_at: int

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
            "expires_at": None,
        }


class FileStore:
    """Uploaded files by id, shared by the endpoint threads."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._lock = threading.Lock()

    def add(self, file: StoredFile) -> None:
        with self._lock:
            self._files[file.id] = file

    def get(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(file_id)

    def all(self) -> list[StoredFile]:
        with self._lock:
            return list(self._files.values())

    def remove(self, file_id: str) -> bool:
        with self._lock:
            return self._files.pop(file_id, None) is not None


@dataclass(frozen=True)
class FormPart:
    name: str
    filename: str | None
    content_type: str
    data: bytes


def parse_multipart(content_type: str, raw: bytes) -> list[FormPart]:
    """The parts of a `multipart/form-data` body, byte for byte (no line-ending changes)."""
    boundary = ""
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip().strip('"')
    if not content_type.lower().startswith("multipart/form-data") or not boundary:
        raise ApiError(400, "Expected a multipart/form-data body with a boundary.")
    delimiter = b"--" + boundary.encode("latin-1")
    parts: list[FormPart] = []
    for chunk in raw.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, sep, body = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        body = body[:-2] if body.endswith(b"\r\n") else body
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip().lower()] = value.strip()
        disposition = _params(headers.get("content-disposition", ""))
        parts.append(
            FormPart(
                disposition.get("name", ""),
                disposition.get("filename"),
                headers.get("content-type", "application/octet-stream"),
                body,
            )
        )
    return parts


def _params(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for param in header.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        out[key.lower()] = value.strip().strip('"')
    return out


def upload(files: FileStore, ids: Any, now: float, content_type: str, raw: bytes) -> dict[str, Any]:
    """`POST /v1/files`: store the `file` part under a new id; answer its FileObject."""
    from openai.types import FileObject

    fields = {part.name: part for part in parse_multipart(content_type, raw)}
    file_part = fields.get("file")
    if file_part is None or file_part.filename is None:
        raise ApiError(400, "Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
    purpose = fields["purpose"].data.decode("utf-8", "replace") if "purpose" in fields else ""
    if not purpose:
        raise ApiError(
            400, "Missing required parameter: 'purpose'.", param="purpose", code="missing_required_parameter"
        )
    if purpose not in PURPOSES:
        raise ApiError(400, f"'{purpose}' is not one of {list(PURPOSES)} - 'purpose'", param="purpose")
    if not file_part.data:
        raise ApiError(400, "File is empty.", param="file")
    stored = StoredFile(
        ids.new("file", 22), file_part.filename, purpose, file_part.data, file_part.content_type, int(now)
    )
    files.add(stored)
    return sdk.wire(FileObject, stored.public())


def retrieve(files: FileStore, file_id: str) -> dict[str, Any]:
    from openai.types import FileObject

    stored = files.get(file_id)
    if stored is None:
        raise ApiError(404, f"No such File object: {file_id}", param="id")
    return sdk.wire(FileObject, stored.public())


def listing(files: FileStore) -> dict[str, Any]:
    from openai.types import FileObject

    data = [sdk.wire(FileObject, f.public()) for f in sorted(files.all(), key=lambda f: -f.created_at)]
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def delete(files: FileStore, file_id: str) -> dict[str, Any]:
    from openai.types import FileDeleted

    if not files.remove(file_id):
        raise ApiError(404, f"No such File object: {file_id}", param="id")
    return sdk.wire(FileDeleted, {"id": file_id, "object": "file", "deleted": True})
