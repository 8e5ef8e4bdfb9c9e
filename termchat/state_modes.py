"""The three state modes: how a chat's context reaches the model on each turn.

`conversation`: the server keeps the chat (Conversations API); `chain`: each turn names the
previous response (`previous_response_id`); `local`: termchat sends the whole history. The one
list: the config, the `--state` flag, the engine and the app's pickers read it. No imports at
run time, so the `--help` fast path can read it too.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    StateMode = Literal["conversation", "chain", "local"]  # STATE_MODES, as a type

STATE_MODES: tuple[StateMode, ...] = ("conversation", "chain", "local")
DEFAULT_STATE_MODE: StateMode = STATE_MODES[0]
