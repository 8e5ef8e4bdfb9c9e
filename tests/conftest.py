"""Shared pytest fixtures."""


# --- termchat.fake_api fixtures (owned by the fake_api tests; self-contained) ---------------
import pytest as _fake_api_pytest


@_fake_api_pytest.fixture
def fake_api():
    """A started ``termchat.fake_api.FakeAPI`` on a free port with a ``FakeClock``."""
    from termchat.fake_api import FakeAPI, FakeClock

    api = FakeAPI(clock=FakeClock())
    api.start()
    try:
        yield api
    finally:
        api.stop()


@_fake_api_pytest.fixture
def fake_client(fake_api):
    """A real ``openai.OpenAI`` client pointed at ``fake_api`` (``max_retries=0``)."""
    import openai

    client = openai.OpenAI(base_url=fake_api.base_url, api_key="test", max_retries=0,
                           timeout=10)
    try:
        yield client
    finally:
        client.close()
