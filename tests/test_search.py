"""Full-text search: the FTS5 index the store keeps, its migration, and what a query finds."""

from __future__ import annotations

import json
import sqlite3

import pytest

from termchat.search import MATCH_END, MATCH_START, match_expression
from termchat.store import _MIGRATIONS, SCHEMA_VERSION, Store, _statements


def _marked(word: str) -> str:
    return f"{MATCH_START}{word}{MATCH_END}"


@pytest.fixture
def store(tmp_path):
    store = Store.in_dir(tmp_path)
    clock = iter(range(1000, 2000))
    store._now = lambda: float(next(clock))
    yield store
    store.close()


def _fts_ok(store: Store) -> None:
    for table in ("messages_fts", "titles_fts"):
        store._db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


def test_a_store_from_before_search_is_migrated_and_its_messages_found(tmp_path):
    path = tmp_path / "termchat.db"
    fts_version = next(v for v, script in _MIGRATIONS.items() if "messages_fts" in script)
    db = sqlite3.connect(path, isolation_level=None)
    for version in range(1, fts_version):
        for statement in _statements(_MIGRATIONS[version]):
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {fts_version - 1}")
    db.execute(
        "INSERT INTO conversations(id, title, mode, model, created_at, updated_at)"
        " VALUES ('tc_old', 'Kubernetes ingress', 'local', 'm', 1, 3)"
    )
    db.executemany(
        "INSERT INTO messages(conversation_pk, role, content, created_at) VALUES (1, ?, ?, ?)",
        [
            ("user", "why does my ingress return 502?", 1),
            ("assistant", "A 502 means the backend pod refused the connection.", 2),
            ("user", "and a 504?", 3),
        ],
    )
    db.close()

    store = Store(path)
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    hits = store.search("backend")
    assert [(h.conversation_id, h.role, h.turn) for h in hits] == [("tc_old", "assistant", 1)]
    assert _marked("backend") in hits[0].snippet
    assert [h.role for h in store.search("kubernetes")] == ["title"]
    _fts_ok(store)
    # the triggers run from now on: a new message is found, a changed title too
    conv = store.get_conversation("tc_old")
    store.add_message(conv, "user", "what about the gateway timeout?")
    assert [h.turn for h in store.search("gateway")] == [3]
    store.update_conversation(conv, title="Gateway errors")
    assert [h.role for h in store.search("gateway")] == ["title", "user"]
    assert store.search("kubernetes") == []


def test_index_follows_every_write(store):
    conv = store.create_conversation(mode="local", model="m", title="first chat")
    store.add_message(conv, "user", "tell me about otters")
    reply = store.add_message(conv, "assistant", "", status="streaming")
    assert [h.role for h in store.search("otters")] == ["user"]
    store.update_message(reply, content="Otters hold hands while they sleep.")
    assert [h.role for h in store.search("otters")] == ["assistant", "user"]
    store.update_message(reply, status="complete")  # other columns leave the index alone
    store.replace_messages(conv, [{"role": "user", "content": "beavers instead"}])
    assert store.search("otters") == []
    assert [h.role for h in store.search("beavers")] == ["user"]
    _fts_ok(store)
    store.delete_conversation(conv)  # the messages go by cascade: so do their index entries
    assert store.search("beavers") == [] and store.search("first") == []
    _fts_ok(store)


def test_newest_first_with_turns_and_snippets(store):
    old = store.create_conversation(mode="local", model="m", title="Rust lifetimes")
    store.add_message(old, "user", "what is a lifetime?")
    store.add_message(old, "assistant", "A lifetime names how long a borrow is valid.")
    new = store.create_conversation(mode="local", model="m", title="Go channels")
    store.add_message(new, "user", "first question")
    store.add_message(new, "assistant", "first answer")
    long_text = " ".join(["filler"] * 40) + " the borrow checker complains " + " ".join(["more"] * 40)
    store.add_message(new, "user", long_text)
    hits = store.search("borrow")
    assert [(h.conversation_id, h.role, h.turn) for h in hits] == [(new.id, "user", 2), (old.id, "assistant", 1)]
    snippet = hits[0].snippet
    assert _marked("borrow") in snippet and snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet.split()) <= 13  # a window around the match, not the whole message
    assert hits[0].title == "Go channels"
    assert [h.conversation_id for h in store.search("borrow", limit=1)] == [new.id]


def test_whole_words_or_prefixes_with_a_star_and_all_must_occur(store):
    conv = store.create_conversation(mode="local", model="m", title="t")
    store.add_message(conv, "user", "Deployment to the café failed")
    store.add_message(conv, "user", "deploy again")
    assert len(store.search("deploy")) == 1
    assert len(store.search("deploy*")) == 2
    assert len(store.search("deploy* fail*")) == 1
    assert store.search("deploy* fail") == []
    assert len(store.search("CAFE")) == 1  # case and accents do not matter
    assert _marked("to the café") in store.search('"to the café"')[0].snippet
    assert store.search('"the to"') == []  # a quoted phrase keeps its order


@pytest.mark.parametrize(
    "text",
    ['"unbalanced', "a OR b", "NOT x", "NEAR(a b)", "col:x", "*", "^start", "a AND", "(", "'", '"""', "-", 'x" y "z'],
)
def test_any_input_is_literal_never_a_syntax_error(store, text):
    conv = store.create_conversation(mode="local", model="m", title="t")
    store.add_message(conv, "user", "a OR b NOT x NEAR col start z")
    store.search(text)  # no sqlite3.OperationalError


def test_match_expression_quotes_every_term():
    assert match_expression("tcp slow*") == '"tcp" AND "slow"*'
    assert match_expression('say "hello world"') == '"say" AND "hello world"'
    assert match_expression('"oops') == '"oops"'
    assert match_expression("OR *") == '"OR"'
    assert match_expression("  -- ") is None and match_expression("") is None


def test_filtering_as_one_types_matches_the_last_word_as_a_prefix():
    assert match_expression("tcp sl", prefix_last=True) == '"tcp" AND "sl"*'
    assert match_expression("tcp sl ", prefix_last=True) == '"tcp" AND "sl"'  # the word is finished
    assert match_expression('tcp "slow st"', prefix_last=True) == '"tcp" AND "slow st"'
    assert match_expression("tcp* --", prefix_last=True) == '"tcp"*'


# -- termchat search ---------------------------------------------------------------------------


def _seed_cli_store(env) -> tuple[str, str]:
    data = env / "data"
    data.mkdir(exist_ok=True)
    with Store.in_dir(data) as seeded:
        clock = iter(range(1000, 2000))
        seeded._now = lambda: float(next(clock))
        old = seeded.create_conversation(mode="local", model="m", title="Nginx \x1b]0;owned\x07config")
        seeded.add_message(old, "user", "my nginx proxy returns 502")
        seeded.add_message(
            old, "assistant", "Check the upstream:\n\x1b[2Jthe \x1b]52;c;cHduZWQ=\x07upstream [bold]must[/bold] answer"
        )
        new = seeded.create_conversation(mode="local", model="m", title="Rust")
        seeded.add_message(new, "user", "first")
        seeded.add_message(new, "assistant", "ok")
        seeded.add_message(new, "user", "the upstream crate is broken")
        return old.id, new.id


def test_search_prints_one_clean_line_per_hit_newest_first(run, env):
    old, new = _seed_cli_store(env)
    result = run("search", "upstream")
    assert result.code == 0 and result.err == ""
    lines = result.out.splitlines()
    assert [line.split()[0] for line in lines] == [new, old]
    assert lines[0] == f"{new}  Rust          the upstream crate is broken"
    assert lines[1].startswith(f"{old}  Nginx config  Check the ")
    assert "[bold]must[/bold] answer" in lines[1]  # markup is text, shown as such
    assert "\x1b" not in result.out and "\x07" not in result.out


def test_search_json_names_chat_turn_role_and_snippet(run, env):
    old, new = _seed_cli_store(env)
    result = run("search", "upstream", "--json")
    assert result.code == 0
    hits = json.loads(result.out)
    assert hits[0] == {"id": new, "title": "Rust", "turn": 2, "role": "user", "snippet": "the upstream crate is broken"}
    assert hits[1]["id"] == old and hits[1]["role"] == "assistant" and hits[1]["turn"] == 1
    assert hits[1]["title"] == "Nginx config" and "\x1b" not in result.out
    listed = {chat["id"] for chat in json.loads(run("list", "--json").out)}
    assert {hit["id"] for hit in hits} <= listed
    titled = json.loads(run("search", "nginx", "--json").out)
    assert [(hit["role"], hit["turn"]) for hit in titled] == [("title", None), ("user", 1)]
    assert json.loads(run("search", "--limit", "1", "upstream", "--json").out)[0]["id"] == new


def test_search_with_no_match_or_nothing_to_search_for(run, env):
    _seed_cli_store(env)
    none = run("search", "kubernetes")
    assert none.code == 0 and none.out == "" and none.err == "termchat: no matches\n"
    assert run("search", "kubernetes", "--json").out.strip() == "[]"
    assert "nothing to search for" in run("search", "--", "--").one_error_line()
    assert run("search", "--", "--").code == 2
    bad_limit = run("search", "x", "--limit", "0")
    assert bad_limit.code == 2 and "--limit" in bad_limit.one_error_line()
    odd = run("search", '"upstream', "OR", "NOT")  # no FTS syntax error: literal words
    assert odd.code == 0 and odd.err == "termchat: no matches\n"


@pytest.mark.parametrize(
    "argv, heavy",
    [
        # clean text needs no sanitizer, so not even `re` is imported
        (["crate"], ("argparse", "dataclasses", "re", "openai", "textual", "httpx", "termchat.store")),
        (["crate", "--debug"], ("openai", "textual", "httpx")),  # the full command
    ],
)
def test_search_imports_nothing_heavy(env, argv, heavy):
    import os
    import subprocess
    import sys

    _seed_cli_store(env)
    code = (
        f"import sys; from termchat.entry import main; sys.argv=['termchat','search',*{argv!r}]; "
        f"code = main(); print([m for m in {heavy!r} if m in sys.modules], code, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**os.environ})
    assert out.stderr.strip().splitlines()[-1] == "[] 0", out.stderr
    assert out.stdout.endswith("the upstream crate is broken\n") and len(out.stdout.splitlines()) == 1


def test_fast_path_prints_what_the_full_command_prints(run, env, capsys, monkeypatch):
    from termchat.entry import main as entry_main

    _seed_cli_store(env)

    def fast(*argv):
        with monkeypatch.context() as patch:
            patch.setattr("sys.argv", ["termchat", "search", *argv])
            patch.setattr("termchat.cli.main", None)  # the fast path must not stand aside
            assert entry_main() == 0
        captured = capsys.readouterr()
        return captured.out, captured.err

    for argv in (["upstream"], ["upstream", "--json"], ["--limit", "1", "the"], ["nothing", "here"], ["--", "--json"]):
        full = run("search", *argv, "--debug")  # --debug: the full command
        assert fast(*argv) == (full.out, full.err), argv
    monkeypatch.setattr("sys.argv", ["termchat", "search", "x", "--bogus"])
    assert entry_main() == 2  # the full command's one-line usage error


def test_search_on_a_terminal_highlights_matches_unless_no_color(run, env, monkeypatch):
    _seed_cli_store(env)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    shown = run("search", "crate").out
    assert shown.endswith("the upstream \x1b[1;4mcrate\x1b[22;24m is broken\n")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in run("search", "crate").out
