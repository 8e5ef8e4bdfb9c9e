"""termchat.fake_api - a loopback fake of the OpenAI Responses + Conversations API.

It speaks the real wire format (SSE framing, event order, error JSON), builds
every object from the openai SDK's own types and keeps real state (stored
responses, previous_response_id chains, conversations, background jobs,
compaction). Tests drive it in-process::

    from termchat.fake_api import FakeAPI, FakeClock, Reply

    api = FakeAPI(clock=FakeClock())
    base_url = api.start()                      # http://127.0.0.1:<port>/v1
    api.script(Reply.text("Hello there", chunks=["Hel", "lo ", "there"]))
    client = openai.OpenAI(base_url=base_url, api_key="test", max_retries=0)
    ...
    api.requests                                # every request, parsed
    api.stop()                                  # or: with FakeAPI() as api: ...

Run standalone with ``python -m termchat.fake_api --port 8765``.
Importing this package does not import openai (it is loaded lazily) or textual.
"""

from .clock import FakeClock, RealClock
from .script import Reply
from .server import FakeAPI, RecordedRequest, start_in_thread

__all__ = ["FakeAPI", "FakeClock", "RealClock", "RecordedRequest", "Reply", "start_in_thread"]
