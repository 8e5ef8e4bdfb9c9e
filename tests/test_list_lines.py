"""`termchat list`'s plain lines, and the store's read-only opener on the `list`/`search` fast paths."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time

from termchat import store_fast_read
from termchat.listing import plain_lines, relative_time

NOW = 1_800_000_000.0


def test_plain_lines_pad_the_ids_right_align_the_age_and_make_every_field_safe():
    rows = [
        ("tc_a", NOW - 5, "local", "hello"),
        ("tc_longer_id", NOW - 61, "conversation", "Sums"),
        ("tc_b", NOW - 7_250, "local", None),
        ("tc_c", NOW - 3 * 86_400 - 1, "local", "a\x1b[2Jb"),
        ("tc_\x07d", NOW + 30, "loc\x1bal", "x\u202ey"),
    ]
    assert plain_lines(rows, NOW) == (
        "tc_a            just now  local         hello\n"
        "tc_longer_id      1m ago  conversation  Sums\n"
        "tc_b              2h ago  local         \n"
        "tc_c              3d ago  local         ab\n"
        "tc_d            just now  locl          xy\n"
    )


def test_plain_lines_of_printable_text_keep_it_as_it_is():
    rows = [("tc_1", NOW - 120, "a-mode-longer-than-12", "Ünïcode · title «ok» 😀")]
    assert plain_lines(rows, NOW) == "tc_1      2m ago  a-mode-longer-than-12  Ünïcode · title «ok» 😀\n"


def test_relative_time_at_each_boundary():
    cases = {
        0: "just now",
        59.9: "just now",
        60: "1m ago",
        3_599.9: "59m ago",
        3_600: "1h ago",
        86_399: "23h ago",
        86_400: "1d ago",
        86_400 * 30 - 1: "29d ago",
        -500: "just now",  # a clock ahead of this one
    }
    for delta, shown in cases.items():
        assert relative_time(NOW - delta, NOW) == shown, delta
    old = NOW - 86_400 * 30
    assert relative_time(old, NOW) == time.strftime("%Y-%m-%d", time.localtime(old))
    assert relative_time(float("nan"), NOW) == "just now"


def test_the_fast_read_takes_no_statement_cache_and_other_connections_the_real_one():
    assert store_fast_read._statement_cache(0)(sum) is sum  # lru_cache(0) caches nothing either
    cached = store_fast_read._statement_cache(128)(str.upper)
    assert cached("a") == "A" and cached.cache_info().maxsize == 128
    assert isinstance(cached, functools._lru_cache_wrapper)


def test_list_in_a_fresh_interpreter_leaves_functools_to_later_imports(env):
    """The fast path imports SQLite's C module without functools; whatever the process opens
    afterwards (the full command, when the fast path hands over) gets the real module."""
    from termchat.store import Store

    (env / "data").mkdir(exist_ok=True)
    store = Store.in_dir(env / "data")
    store.create_conversation(model="gpt-5.2", mode="local", title="first")
    store.close()
    code = (
        "import sys; from termchat.entry import main; sys.argv = ['termchat', 'list']; main(); "
        "print(sorted(m for m in ('functools', 'collections') if m in sys.modules), file=sys.stderr); "
        "import functools, sqlite3; db = sqlite3.connect(':memory:'); "
        "print(db.execute('select 2').fetchall() + db.execute('select 2').fetchall(), "
        "functools.partial.__module__, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env={**os.environ})
    assert out.returncode == 0, out.stderr
    assert "first" in out.stdout
    assert out.stderr.strip().splitlines()[-2:] == ["[]", "[(2,), (2,)] functools"], out.stderr
