"""The fake model answers a request for code, a table or a list with one, the same each time, so
`termchat --demo` shows what the app renders instead of an echo."""

from __future__ import annotations

import pytest


def ask(fake_client, prompt: str) -> str:
    return fake_client.responses.create(model="gpt-5.2", input=prompt, store=False).output_text


@pytest.mark.parametrize(
    "prompt, fence",
    [
        ("Write a Python function that counts words", "```python\n"),
        ("show me a bash one-liner to count lines", "```sh\n"),
        ("give me some code in rust for word counts", "```rust\n"),
        ("write a SQL query for my latest chats", "```sql\n"),
    ],
)
def test_a_request_for_code_gets_a_fenced_block_with_its_language(fake_client, prompt, fence):
    reply = ask(fake_client, prompt)
    assert fence in reply and reply.count("```") == 2
    assert reply == ask(fake_client, prompt)  # deterministic


def test_a_request_for_a_table_gets_a_markdown_table(fake_client):
    reply = ask(fake_client, "Make a table of tea brewing temperatures")
    assert "| Tea | Water | Steep | Notes |" in reply and "| Green | 75-80 °C |" in reply
    generic = ask(fake_client, "compare apples and pears in a table")
    assert "|---|" in generic and "| apples |" in generic


def test_a_request_for_a_list_gets_a_numbered_list(fake_client):
    reply = ask(fake_client, "list the steps to brew green tea")
    assert "1. Heat the water" in reply and "4. " in reply
    assert "1. " in ask(fake_client, "give me a checklist for a release")


def test_other_prompts_still_get_the_echo(fake_client):
    assert ask(fake_client, "hello there").startswith('You said: "hello there".')
    assert ask(fake_client, "what is 2+2").startswith("2 + 2 = 4")


def test_the_python_it_shows_is_valid_python():
    from termchat.fake_api.showcase import CODE

    compile(CODE["python"], "showcase.py", "exec")  # the demo's code block runs when pasted
