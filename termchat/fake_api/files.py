"""`/v1/files`: uploads (multipart/form-data, as the SDK sends them), retrieve and delete.

The bytes are kept in memory so other endpoints (vector store processing) can look at them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from . import sdk
from .state import ApiError

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
MAX_UPLOAD = 512 * 1024 * 1024  # the API's per-file limit


@dataclass
class UploadedFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def public(self) -> dict:
        from openai.types import FileObject

        return sdk.wire(FileObject, {"id": self.id, "object": "file", "bytes": len(self.data),
                                 "created_at": self.created_at, "filename": self.filename,
                                 "purpose": self.purpose, "status": "processed"})


class FileShelf:
    """The account's uploaded files, by id."""

    def __init__(self) -> None:
        self.files: dict[str, UploadedFile] = {}
        self.lock = threading.Lock()

    def get(self, file_id: str) -> UploadedFile:
        with self.lock:
            found = self.files.get(file_id)
        if found is None:
            raise ApiError(404, f"No such File object: {file_id}", param="id")
        return found


def parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """(text fields, file fields as (filename, bytes)) of a multipart/form-data body."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(400, "Expected a multipart/form-data body with 'file' and 'purpose'.")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    fields: dict[str, str] = {}
    uploads: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            uploads[name] = (filename, data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, uploads


def upload(api: Any, content_type: str, raw: bytes) -> dict:
    """`POST /v1/files`: store the file and answer with its FileObject."""
    fields, uploads = parse_multipart(content_type, raw)
    purpose = fields.get("purpose")
    if not purpose:
        raise ApiError(400, "Missing required parameter: 'purpose'.", param="purpose",
                       code="missing_required_parameter")
    if purpose not in PURPOSES:
        raise ApiError(400, f"Invalid value for 'purpose': '{purpose}'.", param="purpose",
                       code="invalid_value")
    if "file" not in uploads:
        raise ApiError(400, "Missing required parameter: 'file'.", param="file",
                       code="missing_required_parameter")
    filename, data = uploads["file"]
    if len(data) > MAX_UPLOAD:
        raise ApiError(413, "File is too large.", param="file")
    shelf: FileShelf = api.files
    record = UploadedFile(api.store.ids.new("file", 22), filename, purpose, data, int(api.clock.now()))
    with shelf.lock:
        shelf.files[record.id] = record
    return record.public()


def handle(api: Any, method: str, params: list[str]) -> dict:
    """`GET` / `DELETE /v1/files/{id}` (uploads go through `upload`)."""
    shelf: FileShelf = api.files
    record = shelf.get(params[0])
    if method == "DELETE":
        with shelf.lock:
            shelf.files.pop(record.id, None)
        from openai.types import FileDeleted

        return sdk.wire(FileDeleted, {"id": record.id, "object": "file", "deleted": True})
    return record.public()
