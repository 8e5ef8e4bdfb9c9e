"""Calls on the server's other resources: models, files and vector stores.

`termchat.api.Api` does responses and conversations; this module adds what `termchat models`
and `termchat stores` need, through the same client, retries and one-line errors. It does not
import `openai` itself: the SDK is reached through `Api.client`.
"""

from __future__ import annotations

import re
from typing import Any

from termchat.api import Api
from termchat.errors import ApiError, NotSupportedError, UsageError
from termchat.ids import checked_id
from termchat.redact import redact

MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}")  # as the engine accepts from a server
MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # the API's limit for one file
NO_MODELS_HINT = "this server has no model listing (GET /v1/models); give the model by name with -m"


def list_models(api: Api) -> list[dict[str, Any]]:
    """The server's models as {id, owned_by, created}, sorted by id. A model whose id is not a
    plain name (control characters, spaces, a very long string) is left out."""
    what = "list models"
    try:
        page = api._attempts(what, lambda: api.client.models.list())
    except NotSupportedError as exc:
        raise NotSupportedError(exc.message, status=exc.status, hint=NO_MODELS_HINT) from None
    data = getattr(page, "data", None)
    if not isinstance(data, list):
        raise ApiError(f"{what} failed: the server did not answer with a list of models")
    models: list[dict[str, Any]] = []
    for item in data:
        raw = api._dump(item, what)
        model_id = raw.get("id")
        if isinstance(model_id, str) and MODEL_NAME.fullmatch(model_id):
            owner = raw.get("owned_by")
            created = raw.get("created")
            models.append(
                {
                    "id": model_id,
                    "owned_by": redact(owner)[:80] if isinstance(owner, str) else None,
                    "created": created if isinstance(created, int) and not isinstance(created, bool) else None,
                }
            )
    models.sort(key=lambda m: str(m["id"]))
    return models


def create_vector_store(api: Api, name: str) -> dict[str, Any]:
    created = api._call("create vector store", api.client.vector_stores.create, name=name)
    checked_id(created.get("id"), what="create vector store: the vector store")
    return created


def delete_vector_store(api: Api, store_id: str) -> dict[str, Any]:
    return api._call("delete vector store", api.client.vector_stores.delete, store_id)


def retrieve_vector_store(api: Api, store_id: str) -> dict[str, Any]:
    return api._call("retrieve vector store", api.client.vector_stores.retrieve, store_id)


def upload_file(api: Api, path: str, *, purpose: str) -> dict[str, Any]:
    """Upload the file at `path` (`POST /v1/files`); returns the server's file object.

    A missing, unreadable or too large file is a `UsageError` and nothing is sent.
    """
    import os

    try:
        size = os.path.getsize(path)
        if size > MAX_UPLOAD_BYTES:
            raise UsageError(f"{path} is larger than the API's {MAX_UPLOAD_BYTES // 2**20} MB limit")
        if not os.path.isfile(path):
            raise UsageError(f"{path} is not a file")
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    # A file name that is not UTF-8 (bytes the file system took) is sent with its odd bytes replaced.
    name = os.path.basename(path).encode("utf-8", "replace").decode("utf-8")
    uploaded = api._call("upload", api.client.files.create, file=(name, data), purpose=purpose)
    checked_id(uploaded.get("id"), what="upload: the file")
    return uploaded


def attach_file(api: Api, store_id: str, file_id: str) -> dict[str, Any]:
    """Attach an uploaded file to a vector store; the answer says if it is processed yet."""
    return api._call("attach file", api.client.vector_stores.files.create, store_id, file_id=file_id)


def store_file_status(api: Api, store_id: str, file_id: str) -> dict[str, Any]:
    """A file of a vector store as the server sees it now (`status`, `last_error`)."""
    return api._call("check file", api.client.vector_stores.files.retrieve, file_id, vector_store_id=store_id)


def discard_file(api: Api, file_id: str, store_id: str | None = None) -> bool:
    """Clean up after a file that was not added: detach it from `store_id` (if given) and
    delete the upload. Whether both worked; a failure is not raised."""
    try:
        if store_id is not None:
            api._call(
                "detach file", api.client.vector_stores.files.delete, file_id, vector_store_id=store_id, retries=0
            )
        api._call("delete file", api.client.files.delete, file_id, retries=0)
    except ApiError:
        return False
    return True
