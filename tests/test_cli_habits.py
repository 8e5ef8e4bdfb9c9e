"""Habits from other LLM CLIs: a positional prompt, `last` for the latest chat, `rm` of several."""

from __future__ import annotations

import pytest

from conftest import listing


def _prompts(server):
    return [r.body["input"] for r in server.requests if r.method == "POST" and r.path == "/v1/responses"]


def test_a_positional_prompt_is_the_same_as_p(run, server):
    result = run("Hello, my name is Ada.")
    assert result.code == 0, result.err
    assert "Ada" in result.out
    same = run("-c", "what is my name?")
    assert same.code == 0 and "Ada" in same.out
    assert [p[-1]["content"] for p in _prompts(server)] == ["Hello, my name is Ada.", "what is my name?"]


def test_a_subcommand_name_stays_the_subcommand_and_goes_as_a_prompt_with_p_or_dashes(run, server):
    assert run("-p", "hi").code == 0
    assert run("list").out.count("\n") == 1  # the subcommand, not a prompt
    for argv in (("-p", "list"), ("--", "list")):
        result = run(*argv)
        assert result.code == 0, result.err
    assert [p[-1]["content"] for p in _prompts(server)] == ["hi", "list", "list"]


def test_a_near_miss_of_a_subcommand_is_not_sent(run, server):
    result = run("lst")
    assert result.code == 2
    assert "did you mean `termchat list`" in result.one_error_line()
    assert _prompts(server) == []


def test_prompt_given_twice_is_a_usage_error(run, server):
    result = run("-p", "one", "two")
    assert result.code == 2 and "give the prompt once" in result.one_error_line()
    assert _prompts(server) == []


@pytest.mark.parametrize("command", ["show", "export"])
def test_last_names_the_most_recently_active_chat(run, server, command):
    assert run("first chat").code == 0
    assert run("second chat").code == 0
    result = run(command, "last")
    assert result.code == 0, result.err
    assert "second chat" in result.out and "first chat" not in result.out


def test_last_with_no_chats_is_one_line(run):
    result = run("show", "last")
    assert result.code == 2 and "no chats yet" in result.one_error_line()


def test_rm_takes_several_ids(run, server):
    for text in ("one", "two", "three"):
        assert run(text).code == 0
    chats = listing(run)
    result = run("rm", chats[0]["id"], chats[2]["id"])
    assert result.code == 0, result.err
    assert [c["id"] for c in listing(run)] == [chats[1]["id"]]
    assert result.err.count("deleted") == 2


def test_rm_with_one_unknown_id_deletes_nothing(run, server):
    for text in ("one", "two"):
        assert run(text).code == 0
    chats = listing(run)
    result = run("rm", chats[0]["id"], "tc_nope", chats[1]["id"])
    assert result.code == 2
    line = result.one_error_line()
    assert "tc_nope" in line and "nothing was deleted" in line
    assert len(listing(run)) == 2


def test_rm_last(run, server):
    assert run("one").code == 0
    assert run("two").code == 0
    assert run("rm", "last").code == 0
    assert [c["title"] for c in listing(run)] == ["one"]


def test_help_shows_the_positional_prompt_and_attach():
    from termchat.cli_help import root_help

    page = root_help(100)
    assert page.splitlines()[0].startswith("usage: termchat")
    assert "[TEXT]" in page and "positional arguments:" in page and "-a FILE, --attach FILE" in page
