"""The app's one garbage-collector policy.

Start-up (importing Textual and the app, building the first frame) creates long-lived objects
only, so the cyclic collector is paused meanwhile: its young-generation collections would walk
them again and again for nothing. Once the first frame is painted, everything alive is frozen
(moved where a full collection no longer walks it: long streamed replies trigger several) and
the collector resumes. The OpenAI SDK, imported with the first request, is frozen the same way.
When the app closes the freeze is undone. While an older page of a long chat is built and
painted, the collector waits (`hold_collection` / `release_collection`): a full collection
then walked everything made since the first frame, in the middle of the page the reader waits for.
While a reply streams (`stream_started` / `stream_ended`), the collector makes young collections
only: each full one walked the whole growing reply (its widgets, their styles and caches) and
stalled the screen longer the longer the reply got. The full collection that was put off runs
`COLLECT_AFTER` seconds after the last stream ends (`collect_put_off`), once: restoring the
thresholds at the end made it start within the reply's last frames, one long stall as the reply
completed.

The launcher turns the policy on (`pause_for_startup`, called by `termchat.tui.app_class`);
the app only reports the moments it acts on. An app started without the launcher (tests,
screenshots) leaves the collector alone. GC state is process-wide, so this is module state.
"""

from __future__ import annotations

import gc
import sys

_active = False  # the launcher turned the policy on, and the app has not closed yet
_paused = False  # the collector was paused by `pause_for_startup` (not by someone else)
_sdk_frozen = False
_held = False  # `hold_collection` turned the collector off until `release_collection`
_streams = 0  # replies streaming now (`stream_started` less `stream_ended`)
_thresholds: tuple[int, int, int] | None = None  # the collector's thresholds before the first of them
# The third threshold (young collections between two full ones), while a reply streams: never.
NO_FULL_COLLECTION = 1 << 30
COLLECT_AFTER = 1.0  # seconds from the last stream's end to the full collection put off


def pause_for_startup() -> None:
    """Before the app's imports: pause the collector until the first frame (if it is on)."""
    global _active, _paused, _sdk_frozen
    _active, _sdk_frozen = True, False
    if gc.isenabled():
        gc.disable()
        _paused = True


def imports_done() -> None:
    """After the app's imports: they live as long as the process; freeze them."""
    if _active:
        gc.freeze()


def first_frame_painted() -> None:
    """Freeze what the first frame built (widgets, styles, caches); resume the collector."""
    if _active:
        gc.freeze()
        _resume()


def reply_started() -> None:
    """A reply is streaming: the first time, the SDK has just been imported; freeze it."""
    global _sdk_frozen
    if _active and not _sdk_frozen and "openai" in sys.modules:
        _sdk_frozen = True
        gc.freeze()


def app_closed() -> None:
    """Resume the collector if start-up left it paused, undo the freezes; the policy ends."""
    global _active, _streams
    if _active:
        _active = False
        release_collection()
        _resume()
        gc.unfreeze()
        _streams = 0
        _restore_thresholds()


def stream_started() -> None:
    """A reply starts streaming onto the screen: no full collection until the last one ends."""
    global _streams, _thresholds
    if not _active:
        return
    _streams += 1
    if _thresholds is None:  # (else still put off from the last stream: saved already)
        _thresholds = gc.get_threshold()
        gc.set_threshold(_thresholds[0], _thresholds[1], NO_FULL_COLLECTION)


def stream_ended() -> bool:
    """A reply stopped streaming (ended, or its widgets went away); True if it was the last one:
    call `collect_put_off` `COLLECT_AFTER` seconds from now."""
    global _streams
    if not _streams:
        return False
    _streams -= 1
    return not _streams


def collect_put_off() -> None:
    """The full collection the streams put off, unless another one streams by now (its end
    calls this again) or the collector is held (a page is built: its thresholds come back only)."""
    if _streams or _thresholds is None:
        return
    _restore_thresholds()
    if _active and gc.isenabled():
        gc.collect()


def _restore_thresholds() -> None:
    global _thresholds
    if _thresholds is not None:
        gc.set_threshold(*_thresholds)
        _thresholds = None


def hold_collection() -> None:
    """Something the user waits for is being built (a page of the transcript): no collection
    until `release_collection`, called once it is painted (only if the policy is on and the
    collector is running: never turns on one someone else turned off)."""
    global _held
    if _active and not _held and gc.isenabled():
        _held = True
        gc.disable()


def release_collection() -> None:
    """What `hold_collection` waited for is painted: collect as usual again."""
    global _held
    if _held:
        _held = False
        gc.enable()


def _resume() -> None:
    """Undo `pause_for_startup`; never turns on a collector that someone else turned off."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()
