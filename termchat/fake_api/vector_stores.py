"""`/v1/vector_stores`: create, retrieve, delete, list, and files attached with a processing state.

A file attached to a store is `in_progress` for `file_polls` retrieves of it, then `completed`
(or `failed`: a PDF that is not one is `invalid_file`, a type file_search cannot read is
`unsupported_file`), so a client's wait-and-poll loop is driven by its own requests, never by
time. Tests change `FakeAPI.vector_store_shelf.file_polls` to hold files in processing longer.

The stores given to `FakeAPI(vector_stores=[(id, name, file count)])` (reassignable as
`api.vector_stores`) are listed too, older than any created here, as fixed rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from . import sdk
from .state import ApiError

# The extensions file_search reads (the API's list, abridged to the common ones).
READABLE = (
    ".c",
    ".cpp",
    ".cs",
    ".css",
    ".doc",
    ".docx",
    ".go",
    ".html",
    ".java",
    ".js",
    ".json",
    ".md",
    ".pdf",
    ".php",
    ".pptx",
    ".py",
    ".rb",
    ".sh",
    ".tex",
    ".ts",
    ".txt",
)


@dataclass
class AttachedFile:
    file_id: str
    store_id: str
    created_at: int
    polls_left: int
    usage_bytes: int
    error: dict | None  # the outcome once processed: None = completed

    @property
    def status(self) -> str:
        if self.polls_left > 0:
            return "in_progress"
        return "failed" if self.error else "completed"

    def public(self) -> dict:
        from openai.types.vector_stores import VectorStoreFile

        done = self.status == "completed"
        return sdk.wire(
            VectorStoreFile,
            {
                "id": self.file_id,
                "object": "vector_store.file",
                "created_at": self.created_at,
                "vector_store_id": self.store_id,
                "status": self.status,
                "usage_bytes": self.usage_bytes if done else 0,
                "last_error": self.error if self.status == "failed" else None,
                "chunking_strategy": {
                    "type": "static",
                    "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
                },
            },
        )


@dataclass
class StoreRecord:
    id: str
    name: str
    created_at: int
    metadata: dict = field(default_factory=dict)
    files: dict[str, AttachedFile] = field(default_factory=dict)
    fixed_count: int = 0  # a seeded store: its file count, all completed

    def public(self, now: int) -> dict:
        from openai.types import VectorStore

        counts = {"in_progress": 0, "completed": self.fixed_count, "failed": 0, "cancelled": 0}
        for attached in self.files.values():
            counts[attached.status] += 1
        counts["total"] = sum(counts.values())
        used = sum(f.usage_bytes for f in self.files.values() if f.status == "completed")
        return sdk.wire(
            VectorStore,
            {
                "id": self.id,
                "object": "vector_store",
                "name": self.name,
                "status": "in_progress" if counts["in_progress"] else "completed",
                "created_at": self.created_at,
                "last_active_at": now,
                "metadata": self.metadata,
                "usage_bytes": used + 40_960 * self.fixed_count,
                "file_counts": counts,
            },
        )


class VectorStoreShelf:
    """The vector stores created through the API, and the seeded ones deleted since."""

    def __init__(self, file_polls: int = 1) -> None:
        self.file_polls = file_polls
        self.created: dict[str, StoreRecord] = {}
        self.deleted: set[str] = set()
        self.seeded: dict[str, StoreRecord] = {}
        self.lock = threading.Lock()


def route(method: str, rest: list[str]) -> tuple[str, list[str]]:
    """(endpoint name, path params) for `/v1/vector_stores/...`; "" for an unknown URL."""
    if not rest:
        return {"GET": "vector_stores.list", "POST": "vector_stores.create"}.get(method, ""), []
    if len(rest) == 1:
        return {"GET": "vector_stores.retrieve", "POST": "vector_stores.update", "DELETE": "vector_stores.delete"}.get(
            method, ""
        ), rest
    if rest[1] != "files" or len(rest) > 3:
        return "", []
    verbs = {"GET": "list", "POST": "create"} if len(rest) == 2 else {"GET": "retrieve", "DELETE": "delete"}
    verb = verbs.get(method)
    return (f"vector_stores.files.{verb}" if verb else ""), [rest[0], *rest[2:]]


def handle(api: Any, endpoint: str, params: list[str], query: dict, body: dict) -> dict:
    """Answer one `/v1/vector_stores` endpoint (as named by `route`)."""
    from .endpoints import paginate

    shelf: VectorStoreShelf = api.vector_store_shelf
    now = int(api.clock.now())
    with shelf.lock:
        if endpoint == "vector_stores.list":
            stores = sorted(_all(api, shelf, now), key=lambda s: (s.created_at, s.id))
            return paginate([s.public(now) for s in stores], query)
        if endpoint == "vector_stores.create":
            return _create(api, shelf, body, now).public(now)
        record = _find(api, shelf, params[0], now)
        if endpoint == "vector_stores.retrieve":
            return record.public(now)
        if endpoint == "vector_stores.update":
            if isinstance(body.get("name"), str):
                record.name = body["name"]
            return record.public(now)
        if endpoint == "vector_stores.delete":
            shelf.created.pop(record.id, None)
            shelf.deleted.add(record.id)
            return sdk.wire(_deleted_type(), {"id": record.id, "object": "vector_store.deleted", "deleted": True})
        if endpoint == "vector_stores.files.create":
            return _attach(api, shelf, record, body.get("file_id"), now).public()
        if endpoint == "vector_stores.files.list":
            files = sorted(record.files.values(), key=lambda f: (f.created_at, f.file_id))
            return paginate([f.public() for f in files], query)
        attached = record.files.get(params[1])
        if attached is None:
            raise ApiError(404, f"No file found with id '{params[1]}' in vector store '{record.id}'.")
        if endpoint == "vector_stores.files.delete":
            del record.files[attached.file_id]
            return {"id": attached.file_id, "object": "vector_store.file.deleted", "deleted": True}
        answer = attached.public()
        attached.polls_left = max(0, attached.polls_left - 1)  # this look was one poll
        return answer


def _deleted_type() -> Any:
    from openai.types import VectorStoreDeleted

    return VectorStoreDeleted


def _all(api: Any, shelf: VectorStoreShelf, now: int) -> list[StoreRecord]:
    seeded = []
    for index, (store_id, name, count) in enumerate(api.vector_stores):
        if store_id in shelf.deleted or store_id in shelf.created:
            continue
        record = shelf.seeded.get(store_id)
        if record is None or (record.name, record.fixed_count) != (name, count):
            record = StoreRecord(store_id, name, now - 86_400 * (index + 1), fixed_count=count)
            shelf.seeded[store_id] = record  # kept, so files attached to it stay
        seeded.append(record)
    return seeded + list(shelf.created.values())


def _find(api: Any, shelf: VectorStoreShelf, store_id: str, now: int) -> StoreRecord:
    for record in _all(api, shelf, now):
        if record.id == store_id:
            return record
    raise ApiError(404, f"No vector store found with id '{store_id}'.")


def _create(api: Any, shelf: VectorStoreShelf, body: dict, now: int) -> StoreRecord:
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise ApiError(400, "Invalid type for 'name': expected a string.", param="name", code="invalid_type")
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    record = StoreRecord(api.store.ids.new("vs", 32), name or "", now, metadata)
    shelf.created[record.id] = record
    for file_id in body.get("file_ids") or []:
        _attach(api, shelf, record, file_id, now)
    return record


def _attach(api: Any, shelf: VectorStoreShelf, record: StoreRecord, file_id: Any, now: int) -> AttachedFile:
    if not isinstance(file_id, str) or not file_id:
        raise ApiError(
            400, "Missing required parameter: 'file_id'.", param="file_id", code="missing_required_parameter"
        )
    uploaded = api.files.get(file_id)
    if uploaded is None:
        raise ApiError(404, f"No such File object: {file_id}", param="file_id")
    error = None
    if uploaded.filename.lower().endswith(".pdf") and not uploaded.data.startswith(b"%PDF-"):
        error = {"code": "invalid_file", "message": "The file could not be parsed."}
    elif not uploaded.filename.lower().endswith(READABLE):
        kind = uploaded.filename.rpartition(".")[2] if "." in uploaded.filename else "(none)"
        error = {
            "code": "unsupported_file",
            "message": f"Files with extension [{kind}] are not supported for retrieval.",
        }
    attached = AttachedFile(file_id, record.id, now, shelf.file_polls, len(uploaded.data), error)
    record.files[file_id] = attached
    return attached
