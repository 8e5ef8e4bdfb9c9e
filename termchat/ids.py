"""Ids that come from a server: conversation, response (job), item and vector store ids.

An id is stored, printed on stdout (`--background` prints the job id), put in commands the
user is told to run and in file names; one that carried an escape sequence or a path would do
harm in each of those places. So an id is accepted only if it is plain.
"""

from __future__ import annotations

import re

from termchat.errors import ApiError

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,200}")


def is_valid_id(value: object) -> bool:
    """Whether `value` is a plain id: letters, digits, `_` and `-`, at most 200 of them."""
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def checked_id(value: object, *, what: str) -> str:
    """`value` if it is a plain id, else an `ApiError` saying that `what` came with a bad id."""
    if not is_valid_id(value):
        raise ApiError(f"{what} came with an invalid id from the server (expected letters, digits, '_' and '-' only)")
    return value  # type: ignore[return-value]
