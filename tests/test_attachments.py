"""Reading and checking `-a FILE`: kinds by their bytes, limits, and the parts a file becomes."""

from __future__ import annotations

import base64
import os

import pytest

from termchat import attachments as att
from termchat.errors import UsageError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
PDF = b"%PDF-1.7\n" + b"\x00\x01binary" * 8


@pytest.mark.parametrize(
    "name, data, kind, mime",
    [
        ("a.png", PNG, "image", "image/png"),
        ("a.jpg", JPEG, "image", "image/jpeg"),
        ("a.gif", GIF, "image", "image/gif"),
        ("a.webp", WEBP, "image", "image/webp"),
        ("photo.txt", PNG, "image", "image/png"),  # the bytes decide, not the name
        ("noext", PDF, "pdf", "application/pdf"),
        ("notes.md", "# Notes\nnaïve café\n".encode(), "text", "text/plain"),
    ],
)
def test_each_kind_is_known_by_its_bytes(tmp_path, name, data, kind, mime):
    path = tmp_path / name
    path.write_bytes(data)
    found = att.read_attachment(str(path))
    assert (found.name, found.kind, found.mime, found.data) == (name, kind, mime, data)


def _refused(path) -> str:
    with pytest.raises(UsageError) as info:
        att.read_attachment(str(path))
    assert info.value.exit_code == 2
    line = info.value.one_line()
    assert "\n" not in line and "nothing was sent" in line
    return line


def test_missing_directory_empty_and_binary_files_are_refused(tmp_path):
    assert "no such file" in _refused(tmp_path / "nope.png")
    assert "is a directory" in _refused(tmp_path)
    (tmp_path / "empty.txt").write_bytes(b"")
    assert "empty" in _refused(tmp_path / "empty.txt")
    (tmp_path / "fake.png").write_bytes(b"PK\x03\x04 a zip file \x00\x00")
    assert "not an image (png, jpg, gif, webp), a PDF or UTF-8 text" in _refused(tmp_path / "fake.png")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    assert "UTF-8 text" in _refused(tmp_path / "latin1.txt")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("x")
    path.chmod(0)
    assert "Permission denied" in _refused(path)


def test_size_limits_per_kind(tmp_path, monkeypatch):
    monkeypatch.setitem(att.SIZE_LIMITS, "text", 10)
    (tmp_path / "big.txt").write_text("x" * 11)
    assert "larger than the 0 KB limit for text files" in _refused(tmp_path / "big.txt")
    monkeypatch.setattr(att, "_READ_LIMIT", 20)
    (tmp_path / "huge.pdf").write_bytes(PDF)
    assert "larger than any attachment may be" in _refused(tmp_path / "huge.pdf")


def test_read_attachments_checks_all_and_stops_at_the_first_bad_one(tmp_path):
    (tmp_path / "ok.txt").write_text("fine")
    with pytest.raises(UsageError, match="missing.txt"):
        att.read_attachments([str(tmp_path / "ok.txt"), str(tmp_path / "missing.txt")])


def test_what_is_stored_and_sent_for_each_kind():
    small = att.Attachment("a.png", "image", "image/png", PNG)
    big = att.Attachment("b.png", "image", "image/png", PNG + b"\x00" * att.INLINE_IMAGE_LIMIT)
    pdf = att.Attachment("c.pdf", "pdf", "application/pdf", PDF)
    text = att.Attachment("d.txt", "text", "text/plain", b"hello")
    assert not small.needs_upload and big.needs_upload and pdf.needs_upload and not text.needs_upload
    inline = small.record()
    assert inline["data_url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert "data_url" not in big.record("file-1") and "data_url" not in pdf.record("file-2")
    assert text.record()["text"] == "hello"
    content = att.message_content("look", [inline, big.record("file-1"), pdf.record("file-2"), text.record()])
    assert content == [
        {"type": "input_text", "text": "look"},
        {"type": "input_image", "image_url": inline["data_url"], "detail": "auto"},
        {"type": "input_image", "file_id": "file-1", "detail": "auto"},
        {"type": "input_file", "file_id": "file-2"},
        {"type": "input_text", "text": '<file name="d.txt">\nhello\n</file>'},
    ]
    assert att.message_content("plain", []) == "plain"
    prompt, records = att.records_from_parts(content)  # what a synced chat reads back
    assert prompt == "look"
    assert [(r["kind"], r["file_id"]) for r in records] == [
        ("image", None),
        ("image", "file-1"),
        ("pdf", "file-2"),
        ("text", None),
    ]
    assert records[3]["text"] == "hello" and records[3]["name"] == "d.txt"


def test_a_record_without_its_file_is_named_in_its_place_not_dropped():
    part = att.content_part({"name": "x.pdf", "kind": "pdf", "file_id": None})
    assert part == {"type": "input_text", "text": "[attachment x.pdf (pdf) could not be sent again]"}


def test_a_store_from_before_attachments_migrates_and_keeps_its_messages(tmp_path):
    import sqlite3

    from termchat.store import _MIGRATIONS, SCHEMA_VERSION, Store

    path = tmp_path / "termchat.db"
    db = sqlite3.connect(path)
    for version in range(1, 9):
        db.executescript(_MIGRATIONS[version])
    db.execute("INSERT INTO conversations(id, mode, model, created_at, updated_at) VALUES ('tc_a', 'local', 'm', 1, 1)")
    db.execute("INSERT INTO messages(conversation_pk, role, content, created_at) VALUES (1, 'user', 'hi', 1)")
    db.execute("PRAGMA user_version = 8")
    db.commit()
    db.close()
    store = Store(path)
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION  # 9 added attachments
    conv = store.get_conversation("tc_a")
    assert [(m.content, m.attachments) for m in store.messages(conv)] == [("hi", [])]
    record = att.Attachment("a.txt", "text", "text/plain", b"x").record()
    message_id = store.add_message(conv, "user", "with a file", attachments=[record])
    assert store.message(message_id).attachments == [record]
    assert "attachments" not in store.messages(conv)[0].to_json()
