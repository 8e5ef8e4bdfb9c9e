"""`-a FILE` as a user runs it: what reaches the (fake) server for each kind, what is stored,
shown and exported, and every bad file refused before anything is sent or stored."""

from __future__ import annotations

import base64
import json

import pytest

from termchat import attachments
from termchat.fake_api import FakeAPI

from conftest import listing

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def _sent(server) -> list[dict]:
    return [r.body for r in server.requests if r.method == "POST" and r.path == "/v1/responses"]


def _uploads(server) -> list:
    return [r for r in server.requests if r.method == "POST" and r.path == "/v1/files"]


def _user_parts(body: dict, index: int = -1) -> list[dict]:
    users = [i for i in body["input"] if i.get("role") == "user"]
    return users[index]["content"]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "shot.png").write_bytes(PNG)
    (tmp_path / "paper.pdf").write_bytes(PDF)
    (tmp_path / "notes.md").write_text("# Notes\nline two\n", encoding="utf-8")
    return tmp_path


def test_a_small_image_goes_inline_as_a_data_url(run, server, files):
    result = run("-a", str(files / "shot.png"), "what is this?")
    assert result.code == 0, result.err
    assert _uploads(server) == []
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert _user_parts(_sent(server)[0]) == [
        {"type": "input_text", "text": "what is this?"},
        {"type": "input_image", "image_url": data_url, "detail": "auto"},
    ]
    assert f"- image inline image/png ({len(PNG)} bytes)" in result.out


def test_a_large_image_is_uploaded_and_sent_by_file_id(run, server, files, monkeypatch):
    monkeypatch.setattr(attachments, "INLINE_IMAGE_LIMIT", 100)
    result = run("-a", str(files / "shot.png"), "what is this?")
    assert result.code == 0, result.err
    assert len(_uploads(server)) == 1
    (stored,) = server.files.all()
    file_id = stored.id
    assert (stored.filename, stored.purpose, stored.data, stored.content_type) == (
        "shot.png",
        "vision",
        PNG,
        "image/png",
    )
    assert _user_parts(_sent(server)[0])[1] == {"type": "input_image", "file_id": file_id, "detail": "auto"}
    assert f'- image {file_id} "shot.png" (vision, {len(PNG)} bytes)' in result.out


def test_a_pdf_is_uploaded_for_user_data_and_sent_as_input_file(run, server, files):
    result = run("-a", str(files / "paper.pdf"), "summarise")
    assert result.code == 0, result.err
    (stored,) = server.files.all()
    assert (stored.filename, stored.purpose, stored.data) == ("paper.pdf", "user_data", PDF)
    assert _user_parts(_sent(server)[0]) == [
        {"type": "input_text", "text": "summarise"},
        {"type": "input_file", "file_id": stored.id},
    ]
    assert f'- file {stored.id} "paper.pdf" (user_data, {len(PDF)} bytes)' in result.out


def test_a_text_file_goes_as_a_text_part_with_its_name(run, server, files):
    result = run("-a", str(files / "notes.md"), "-p", "fix the typos")
    assert result.code == 0, result.err
    assert _user_parts(_sent(server)[0]) == [
        {"type": "input_text", "text": "fix the typos"},
        {"type": "input_text", "text": '<file name="notes.md">\n# Notes\nline two\n\n</file>'},
    ]
    assert _uploads(server) == []


def test_several_files_in_order_and_show_export_list_them(run, server, files):
    result = run(
        "-a", str(files / "notes.md"), "-a", str(files / "shot.png"), "-a", str(files / "paper.pdf"), "look at these"
    )
    assert result.code == 0, result.err
    assert [p["type"] for p in _user_parts(_sent(server)[0])] == [
        "input_text",
        "input_text",
        "input_image",
        "input_file",
    ]
    (pdf,) = server.files.all()
    shown = run("show", "last").out
    lines = [line.strip() for line in shown.splitlines() if "attached:" in line]
    assert lines == [
        "[attached: notes.md (text, 17 bytes)]",
        f"[attached: shot.png (image, {len(PNG)} bytes, inline)]",
        f"[attached: paper.pdf (pdf, {len(PDF)} bytes, {pdf.id})]",
    ]
    assert shown.index("look at these") < shown.index("attached: notes.md") < shown.index("── Assistant")
    markdown = run("export", "last").out
    assert f"> attached: paper.pdf (pdf, {len(PDF)} bytes, {pdf.id})" in markdown
    exported = json.loads(run("export", "last", "--format", "json").out)
    records = exported["messages"][0]["attachments"]
    assert records[0] == {
        "name": "notes.md",
        "kind": "text",
        "mime": "text/plain",
        "size": 17,
        "file_id": None,
        "inline": False,
        "text": "# Notes\nline two\n",
    }
    assert records[1] == {
        "name": "shot.png",
        "kind": "image",
        "mime": "image/png",
        "size": len(PNG),
        "file_id": None,
        "inline": True,
    }  # the bytes are not exported
    assert records[2]["file_id"] == pdf.id and records[2]["inline"] is False


@pytest.mark.parametrize("mode", ["conversation", "chain", "local"])
def test_every_mode_sends_them_and_local_mode_replays_them(run, server, files, mode):
    first = run(
        "--state",
        mode,
        "-a",
        str(files / "shot.png"),
        "-a",
        str(files / "paper.pdf"),
        "-a",
        str(files / "notes.md"),
        "first",
    )
    assert first.code == 0, first.err
    sent_first = _user_parts(_sent(server)[0])
    second = run("-c", "second")
    assert second.code == 0, second.err
    body = _sent(server)[1]
    if mode == "local":
        assert _user_parts(body, 0) == sent_first  # the same parts, the same file id
        assert _user_parts(body, -1) == "second"
    else:
        assert body["input"] == [{"role": "user", "content": "second"}]
    assert len(server.files.all()) == 1  # uploaded once, never again


def test_a_continued_chat_takes_attachments_too(run, server, files):
    assert run("hello").code == 0
    result = run("-c", "-a", str(files / "notes.md"), "and this?")
    assert result.code == 0, result.err
    assert _user_parts(_sent(server)[1])[1]["text"].startswith('<file name="notes.md">')


def test_attachments_come_back_with_a_chat_imported_from_the_server(run, server, files, env, monkeypatch):
    assert run("-a", str(files / "notes.md"), "-a", str(files / "paper.pdf"), "read these").code == 0
    conv_id = listing(run)[0]["id"]
    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(env / "other-machine"))
    shown = run("show", conv_id)
    assert shown.code == 0, shown.err
    assert "read these" in shown.out and "Notes" not in shown.out.split("── Assistant")[0].split("read these")[1]
    assert "[attached: notes.md (text, 17 bytes)]" in shown.out
    (pdf,) = server.files.all()
    assert f"[attached: file (pdf, {pdf.id})]" in shown.out


def _assert_nothing_sent_or_stored(run, server, result, *words):
    assert result.code == 2
    line = result.one_error_line()
    assert all(w in line for w in words), line
    assert server.requests == []  # no upload, no response, no conversation
    assert listing(run) == []


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda d: d / "missing.png", ("missing.png", "no such file")),
        (lambda d: d, ("is a directory",)),
        (lambda d: (d / "a.zip").write_bytes(b"PK\x03\x04\x00\x00") and d / "a.zip", ("a.zip", "not an image")),
        (lambda d: (d / "empty.txt").write_bytes(b"") or d / "empty.txt", ("empty",)),
    ],
)
def test_a_bad_file_is_one_line_exit_2_and_nothing_is_sent_or_stored(run, server, files, make, words):
    bad = make(files)
    result = run("-a", str(files / "shot.png"), "-a", str(bad), "look")
    _assert_nothing_sent_or_stored(run, server, result, *words)


def test_a_too_large_file_is_refused_before_anything_is_sent(run, server, files, monkeypatch):
    monkeypatch.setitem(attachments.SIZE_LIMITS, "pdf", 10)
    result = run("-a", str(files / "notes.md"), "-a", str(files / "paper.pdf"), "look")
    _assert_nothing_sent_or_stored(run, server, result, "paper.pdf", "limit")


def test_attach_without_a_prompt_or_with_estimate_is_a_usage_error(run, server, files):
    result = run("-a", str(files / "notes.md"), "--estimate", "-p", "x")
    _assert_nothing_sent_or_stored(run, server, result, "--estimate")


def test_a_server_without_files_api_keeps_the_prompt_and_says_why(tmp_path, monkeypatch, capsys, files):
    from termchat import cli

    with FakeAPI(files=False) as plain:
        monkeypatch.setenv("TERMCHAT_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("TERMCHAT_CONFIG", str(tmp_path / "config.toml"))
        monkeypatch.setenv("OPENAI_BASE_URL", plain.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setattr("sys.stdin", open("/dev/null"))
        code = cli.main(["-a", str(files / "paper.pdf"), "summarise"])
        err = capsys.readouterr().err
        assert code == 1
        assert "no Files API" in err and "paper.pdf" in err
        assert [r.path for r in plain.requests if r.path == "/v1/responses"] == []
        cli.main(["show", "last"])
        shown = capsys.readouterr().out
    assert "summarise" in shown and f"[attached: paper.pdf (pdf, {len(PDF)} bytes, not uploaded)]" in shown


def test_a_background_job_sends_its_attachments(run, server, files):
    result = run("--background", "--wait", "-a", str(files / "paper.pdf"), "summarise")
    assert result.code == 0, result.err
    (stored,) = server.files.all()
    body = _sent(server)[0]
    assert body["background"] is True
    assert _user_parts(body)[1] == {"type": "input_file", "file_id": stored.id}
    assert f'"paper.pdf" (user_data, {len(PDF)} bytes)' in result.out


def test_a_file_name_that_is_not_utf8_is_sent_and_stored(run, server, files):
    import os

    raw = os.path.join(os.fsencode(files), b"caf\xe9.txt")
    with open(raw, "wb") as handle:
        handle.write(b"menu")
    result = run("-a", os.fsdecode(raw), "read it")
    assert result.code == 0, result.err
    assert _user_parts(_sent(server)[0])[1]["text"] == '<file name="caf\ufffd.txt">\nmenu\n</file>'
    assert "[attached: caf\ufffd.txt (text, 4 bytes)]" in run("show", "last").out
