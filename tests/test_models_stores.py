"""`termchat models` and `termchat stores` against the fake API."""

from __future__ import annotations

import io
import json
import os
import stat

import pytest

from termchat import vector_stores
from termchat.model_catalog import CACHE_FILE, CACHE_MAX_AGE, cached_models


@pytest.fixture(autouse=True)
def _no_poll_wait(monkeypatch):
    """The fake finishes processing after a set number of polls: no need to wait between them."""
    monkeypatch.setattr(vector_stores, "FIRST_POLL", 0.0)


# --- models -------------------------------------------------------------------------------------


def test_models_sorted_with_the_default_and_aliases_marked(run, env):
    (env / "config.toml").write_text('model = "gpt-4o"\n[aliases]\nfast = "gpt-5-nano"\n')
    result = run("models")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    names = [line[2:].split()[0] for line in lines]
    assert names == sorted(names) and "gpt-4o" in names
    assert [line for line in lines if line.startswith("*")] == ["* gpt-4o      default"]
    assert any(line.startswith("  gpt-5-nano") and line.endswith("alias fast") for line in lines)


def test_models_json(run, env):
    (env / "config.toml").write_text('[aliases]\nmini = "gpt-5-mini"\n')
    rows = json.loads(run("models", "--json").out)
    by_id = {row["id"]: row for row in rows}
    assert by_id["gpt-5.2"]["default"] is True and by_id["gpt-5-mini"]["aliases"] == ["mini"]
    assert sum(row["default"] for row in rows) == 1
    assert set(rows[0]) == {"id", "owned_by", "created", "default", "aliases"}


def test_models_are_cached_privately_per_server_for_a_day(run, env, server):
    assert run("models").code == 0
    data_dir = env / "data"
    path = data_dir / CACHE_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    cached = json.loads(path.read_text())
    server_key = next(iter(cached))
    assert server_key.startswith("http://127.0.0.1:")
    assert "gpt-5.2" in cached_models(data_dir, server_key)
    fetched = cached[server_key]["fetched_at"]
    assert cached_models(data_dir, server_key, now=fetched + CACHE_MAX_AGE - 1) is not None
    assert cached_models(data_dir, server_key, now=fetched + CACHE_MAX_AGE + 1) is None
    assert cached_models(data_dir, "http://elsewhere/v1") is None


def test_a_broken_cache_reads_as_no_cache(tmp_path):
    (tmp_path / CACHE_FILE).write_text("{not json")
    assert cached_models(tmp_path, "http://x/v1") is None
    (tmp_path / CACHE_FILE).write_text(json.dumps({"http://x/v1": {"fetched_at": "soon", "models": 3}}))
    assert cached_models(tmp_path, "http://x/v1") is None


def test_the_default_missing_from_the_list_is_a_note(run, env, server):
    server.models = {"llama-3", "qwen-2"}
    result = run("models")
    assert result.code == 0 and result.out.splitlines() == ["  llama-3", "  qwen-2"]
    assert "note: the default model gpt-5.2 is not in this server's list" in result.err


def test_model_ids_that_are_not_plain_names_are_left_out(run, server):
    server.models = {"good-model", "bad\x1b]0;title\x07model", "has space"}
    result = run("models", "--json")
    assert [row["id"] for row in json.loads(result.out)] == ["good-model"]


def test_models_with_a_wrong_key_is_one_line_exit_1(run, server):
    server.api_key = "the-right-key"
    result = run("models")
    assert result.code == 1 and "401" in result.one_error_line()


def test_models_on_a_server_without_the_listing_is_one_line(run, server):
    server.models_enabled = False  # e.g. gpt-oss's Responses-only server
    result = run("models")
    assert result.code == 1
    line = result.one_error_line()
    assert "404" in line and "give the model by name with -m" in line


# --- stores -------------------------------------------------------------------------------------


def _store_files(server, store_id: str) -> dict:
    return {f.file_id: f.status for f in server.vector_store_shelf.created[store_id].files.values()}


def test_stores_list_plain_and_json(run, server):
    server.vector_stores = [("vs_a", "Alpha \x1b[31mred", 3)]
    result = run("stores")
    assert result.code == 0 and result.out == "vs_a  Alpha red  (3/3 files)\n"
    rows = json.loads(run("stores", "list", "--json").out)
    assert rows[0]["id"] == "vs_a" and rows[0]["name"] == "Alpha red"
    assert rows[0]["files"]["completed"] == 3 and rows[0]["created_at"].endswith("Z")


def test_create_add_and_rm_end_to_end(run, server, env):
    server.vector_stores = []
    created = run("stores", "create", "Team docs")
    assert created.code == 0, created.err
    store_id = created.out.strip()
    assert store_id.startswith("vs_") and "created vector store Team docs" in created.err
    (env / "guide.md").write_text("# Guide\n")
    (env / "faq.txt").write_text("Q and A\n")
    server.vector_store_shelf.file_polls = 2
    added = run("stores", "add", store_id, str(env / "guide.md"), str(env / "faq.txt"))
    assert added.code == 0, added.err
    ids = [line.split()[0] for line in added.out.splitlines()]
    assert [line.split()[1] for line in added.out.splitlines()] == ["guide.md", "faq.txt"]
    assert _store_files(server, store_id) == {ids[0]: "completed", ids[1]: "completed"}
    uploads = [r.body for r in server.requests_to("files.create")]
    assert len(uploads) == 2 and b'name="purpose"' in server.requests_to("files.create")[0].raw
    assert b"assistants" in server.requests_to("files.create")[0].raw
    polls = server.requests_to("vector_stores.files.retrieve")
    assert len(polls) == 2 * 3  # two in_progress answers, then completed, per file
    # progress, as plain lines (stderr is not a terminal here)
    steps = [line for line in added.err.splitlines() if line.startswith("termchat: guide.md (1/2)")]
    assert steps == [
        "termchat: guide.md (1/2): uploading",
        f"termchat: guide.md (1/2): attaching {ids[0]}",
        "termchat: guide.md (1/2): processing",
        f"termchat: guide.md (1/2): added to {store_id}",
    ]
    listed = json.loads(run("stores", "--json").out)
    assert listed[0]["files"]["completed"] == 2
    removed = run("stores", "rm", store_id)
    assert removed.code == 0 and f"deleted vector store {store_id}" in removed.err
    assert json.loads(run("stores", "--json").out) == []


def test_a_file_that_fails_processing_is_reported_and_the_rest_go_on(run, server, env):
    store_id = run("stores", "create", "S").out.strip()
    (env / "photo.bin").write_bytes(b"\x89PNG")
    (env / "empty.txt").write_bytes(b"")
    (env / "good.txt").write_text("fine\n")
    result = run("stores", "add", store_id, str(env / "photo.bin"), str(env / "empty.txt"), str(env / "good.txt"))
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("termchat: error:")]
    assert errors == [
        "termchat: error: photo.bin (1/3): processing failed: unsupported_file: "
        "Files with extension [bin] are not supported for retrieval.",
        "termchat: error: empty.txt (2/3): upload failed: HTTP 400: File is empty.",
        "termchat: error: 2 of 3 files were not added",
    ]
    assert [line.split()[1] for line in result.out.splitlines()] == ["good.txt"]
    assert list(_store_files(server, store_id).values()) == ["completed"]  # the failed one detached
    assert len(server.files.all()) == 1  # and its upload deleted


def test_a_file_still_processing_at_the_limit_is_given_up(run, server, env, monkeypatch):
    monkeypatch.setattr(vector_stores, "PROCESSING_LIMIT", -1.0)
    store_id = run("stores", "create", "S").out.strip()
    (env / "slow.txt").write_text("slow\n")
    server.vector_store_shelf.file_polls = 1000
    result = run("stores", "add", store_id, str(env / "slow.txt"))
    assert result.code == 1 and "still processing after" in result.err
    assert _store_files(server, store_id) == {} and server.files.all() == []


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("stores", "add", "vs_x", "MISSING"), "no such file"),
        (("stores", "add", "vs_x", "."), "not a file"),
        (("stores", "add", "vs_x"), "at least one FILE"),
        (("stores", "add"), "needs a STORE_ID"),
        (("stores", "create"), "one NAME"),
        (("stores", "create", "a", "b"), "one NAME"),
        (("stores", "rm", "vs/../etc"), "not a vector store id"),
        (("stores", "rm", "vs_a", "vs_b"), "one STORE_ID"),
        (("stores", "list", "extra"), "no arguments"),
        (("stores", "create", "x", "--json"), "--json goes with"),
        (("stores", "frob"), "invalid choice"),
    ],
)
def test_bad_stores_input_is_one_line_exit_2_and_nothing_is_sent(run, server, argv, words):
    result = run(*argv)
    assert result.code == 2
    assert words in result.one_error_line()
    assert not server.requests_to("files") and not server.requests_to("vector_stores.create")


@pytest.mark.parametrize("action", ["rm", "add"])
def test_an_unknown_store_is_one_line_exit_2(run, server, env, action):
    (env / "a.txt").write_text("a\n")
    argv = ("stores", action, "vs_nope") + ((str(env / "a.txt"),) if action == "add" else ())
    result = run(*argv)
    assert result.code == 2 and "unknown vector store 'vs_nope'" in result.one_error_line()
    assert not server.requests_to("files")


def test_progress_on_a_terminal_rewrites_one_line():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    progress = vector_stores.Progress(out)
    progress.show("a.txt (1/1): uploading")
    progress.show("a.txt (1/1): processing")
    progress.show("a.txt (1/1): processing")  # unchanged: not written again
    progress.clear()
    assert out.getvalue() == (
        "\r\x1b[2Ktermchat: a.txt (1/1): uploading…\r\x1b[2Ktermchat: a.txt (1/1): processing…\r\x1b[2K"
    )
    assert "\n" not in out.getvalue()


def test_a_file_name_that_is_not_utf8_is_added(run, server, env):
    import os as _os

    store_id = run("stores", "create", "S").out.strip()
    raw = _os.fsencode(str(env)) + b"/caf\xe9.txt"
    with open(raw, "wb") as handle:
        handle.write(b"menu\n")
    result = run("stores", "add", store_id, _os.fsdecode(raw))
    assert result.code == 0, result.err
    assert server.files.all()[0].filename == "caf?.txt"
    assert result.out.split()[1] == "caf?.txt"
    bad = run("stores", "create", "caf\udce9")
    assert bad.code == 2 and "not valid UTF-8" in bad.one_error_line()
