"""-m with aliases, -s, --effort and -o KEY=VALUE: the request each sends, per state mode, what a
chat remembers, and one-line errors for bad values."""

from __future__ import annotations

import json

import pytest

from conftest import listing

MODES = ("conversation", "chain", "local")


def _last_request(server) -> dict:
    return server.requests_to("responses")[-1].body


def _settings(run, chat_id: str) -> dict:
    result = run("show", chat_id, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)["settings"]


@pytest.mark.parametrize("mode", MODES)
def test_every_flag_shapes_the_request_in_each_state_mode(run, server, mode):
    result = run(
        "--state",
        mode,
        "-m",
        "gpt-5-mini",
        "-s",
        "Answer in French.",
        "--effort",
        "high",
        "-o",
        "temperature=0.3",
        "-o",
        "top_p=0.9",
        "-o",
        "max_output_tokens=400",
        "-o",
        "verbosity=low",
        "-p",
        "hello",
    )
    assert result.code == 0, result.err
    body = _last_request(server)
    assert body["model"] == "gpt-5-mini"
    assert body["instructions"] == "Answer in French."
    assert body["reasoning"] == {"summary": "auto", "effort": "high"}  # summary: a reasoning model
    assert (body["temperature"], body["top_p"], body["max_output_tokens"]) == (0.3, 0.9, 400)
    assert body["text"] == {"verbosity": "low"}


@pytest.mark.parametrize("mode", MODES)
def test_a_continued_chat_sends_its_settings_again_and_a_flag_replaces_one(run, server, mode):
    assert run("--state", mode, "-m", "gpt-5-mini", "--effort", "low", "-o", "temperature=0.5", "-p", "first").code == 0
    again = run("-c", "-p", "second")
    assert again.code == 0, again.err
    body = _last_request(server)
    assert body["model"] == "gpt-5-mini" and body["reasoning"]["effort"] == "low"
    assert body["temperature"] == 0.5
    assert "settings: effort low, temperature 0.5 (from this chat" in again.err
    changed = run("-c", "--effort", "minimal", "-o", "verbosity=high", "-p", "third")
    assert changed.code == 0, changed.err
    body = _last_request(server)
    assert body["reasoning"]["effort"] == "minimal" and body["temperature"] == 0.5
    assert body["text"] == {"verbosity": "high"}
    assert run("-c", "-p", "fourth").code == 0
    assert _last_request(server)["reasoning"]["effort"] == "minimal"  # the override was stored
    chat = listing(run)[0]["id"]
    settings = _settings(run, chat)
    assert (settings["effort"], settings["temperature"], settings["verbosity"]) == ("minimal", 0.5, "high")


def test_an_empty_value_forgets_a_stored_option(run, server):
    assert run("-m", "gpt-5-mini", "-o", "temperature=0.5", "--effort", "high", "-p", "first").code == 0
    assert run("-c", "-o", "temperature=", "-o", "effort=", "-p", "second").code == 0
    body = _last_request(server)
    assert "temperature" not in body and body["reasoning"] == {"summary": "auto"}


def test_options_with_a_schema_keep_both_parts_of_text(run, server, env):
    schema = env / "schema.json"
    schema.write_text(
        json.dumps(
            {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "required": ["a"],
                "additionalProperties": False,
            }
        )
    )
    run("-o", "verbosity=low", "--schema", str(schema), "-p", "give me a")
    text = _last_request(server)["text"]
    assert text["verbosity"] == "low" and text["format"]["type"] == "json_schema"


def test_no_flags_send_none_of_these_fields(run, server):
    assert run("-m", "gpt-4o", "-p", "hello").code == 0
    body = _last_request(server)
    assert not {"temperature", "top_p", "max_output_tokens", "reasoning", "text"} & set(body)


def test_an_alias_from_the_config_picks_the_model_and_the_chat_stores_the_real_name(run, server, env):
    (env / "config.toml").write_text('model = "quick"\n[aliases]\nfast = "gpt-5-nano"\nquick = "gpt-4o"\n')
    assert run("-m", "fast", "-p", "hello").code == 0
    assert _last_request(server)["model"] == "gpt-5-nano"
    assert listing(run)[0]["model"] == "gpt-5-nano"
    assert run("-p", "a new chat on the default").code == 0
    assert _last_request(server)["model"] == "gpt-4o"  # the config's `model` may name an alias


@pytest.mark.parametrize(
    "doc", ['[aliases]\nfast = ""\n', "[aliases]\nfast = 5\n", '[aliases]\nfast = ["gpt-4o"]\n', 'aliases = "gpt-4o"\n']
)
def test_a_bad_alias_is_one_config_error_line(run, server, env, doc):
    (env / "config.toml").write_text(doc)
    result = run("-p", "hello")
    assert result.code == 2
    line = result.one_error_line()
    assert "config error" in line and "aliases" in line
    assert not server.requests_to("responses")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("-o", "temperature=3"), "temperature must be a number from 0 to 2"),
        (("-o", "temperature=nan"), "temperature must be a number"),
        (("-o", "top_p=-0.1"), "top_p must be a number from 0 to 1"),
        (("-o", "max_output_tokens=8"), "at least 16"),
        (("-o", "max_output_tokens=1e3"), "whole number"),
        (("-o", "verbosity=loud"), "verbosity must be one of low, medium, high"),
        (("-o", "seed=4"), "unknown key 'seed'"),
        (("-o", "temperature"), "KEY=VALUE"),
        (("--effort", "extreme"), "--effort must be one of minimal, low, medium, high"),
    ],
)
def test_a_bad_option_is_one_line_exit_2_and_nothing_is_sent_or_stored(run, server, argv, words):
    result = run(*argv, "-p", "hello")
    assert result.code == 2
    assert words in result.one_error_line()
    assert not server.requests_to("responses") and listing(run) == []


def test_a_bad_option_on_a_continued_chat_leaves_its_settings(run, server):
    assert run("-m", "gpt-5-mini", "--effort", "low", "-p", "first").code == 0
    assert run("-c", "--effort", "max", "-p", "second").code == 2
    chat = listing(run)[0]
    assert chat["messages"] == 2 and _settings(run, chat["id"])["effort"] == "low"


def test_effort_on_a_model_without_reasoning_is_the_servers_one_line(run, server):
    result = run("-m", "gpt-4o", "--effort", "high", "-p", "hello")
    assert result.code == 1
    assert "reasoning.effort" in result.one_error_line()
    assert listing(run)[0]["messages"] == 2  # the prompt is kept, with the failed reply


def test_show_and_export_name_the_settings(run, server):
    assert run("-m", "gpt-5-mini", "--effort", "high", "-o", "temperature=0.25", "-p", "hello").code == 0
    chat = listing(run)[0]["id"]
    shown = run("show", chat).out.splitlines()
    assert shown[2] == "settings: effort high, temperature 0.25"
    assert "- settings: effort high, temperature 0.25" in run("export", chat).out


def test_help_lists_every_effort_level():
    from termchat.cli_help import root_help
    from termchat.request_settings import EFFORTS

    text = " ".join(root_help(200).split())
    assert f"reasoning effort: {', '.join(EFFORTS[:-1])} or {EFFORTS[-1]}" in text


def test_estimate_checks_the_options_too(run, server):
    result = run("--estimate", "-o", "top_p=2", "-p", "hello")
    assert result.code == 2 and "top_p" in result.one_error_line()
    assert not server.requests_to("input_tokens")


def test_a_background_job_sends_the_settings_too(run, server):
    result = run(
        "--background", "--wait", "-m", "gpt-5-mini", "--effort", "low", "-o", "top_p=0.5", "-p", "a long report"
    )
    assert result.code == 0, result.err
    body = _last_request(server)
    assert body["background"] is True and body["reasoning"]["effort"] == "low" and body["top_p"] == 0.5
