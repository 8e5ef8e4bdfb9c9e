"""The three state modes: how a chat's context reaches the model on each turn.

`conversation`: the server keeps the chat (Conversations API); `chain`: each turn names the
previous response (`previous_response_id`); `local`: termchat sends the whole history. The one
list: the config, the `--state` flag, the engine and the app's pickers read it. No imports, so
the `--help` fast path can read it too.
"""

STATE_MODES: tuple[str, ...] = ("conversation", "chain", "local")
DEFAULT_STATE_MODE = STATE_MODES[0]
