"""termchat.perf: the collector is held while a page of the transcript is built and painted,
and makes no full collection while a reply streams; only under the launcher's policy, and never
turned on when someone else turned it off."""

from __future__ import annotations

import gc

import pytest

from termchat import perf


@pytest.fixture
def policy(monkeypatch):
    """The launcher's policy on (as after the first frame), the collector's state put back after."""
    was_enabled = gc.isenabled()
    monkeypatch.setattr(perf, "_active", True)
    monkeypatch.setattr(perf, "_paused", False)
    monkeypatch.setattr(perf, "_held", False)
    monkeypatch.setattr(perf, "_streams", 0)
    monkeypatch.setattr(perf, "_thresholds", None)
    thresholds = gc.get_threshold()
    gc.enable()
    yield
    gc.enable() if was_enabled else gc.disable()
    gc.set_threshold(*thresholds)


def test_collection_is_held_until_released(policy):
    perf.hold_collection()
    assert not gc.isenabled()
    perf.hold_collection()  # (a second page meanwhile: still one release)
    perf.release_collection()
    assert gc.isenabled()
    perf.release_collection()  # nothing held: nothing changes
    assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off(policy):
    gc.disable()
    perf.hold_collection()
    perf.release_collection()
    assert not gc.isenabled()


def test_without_the_launchers_policy_nothing_changes(policy, monkeypatch):
    monkeypatch.setattr(perf, "_active", False)
    perf.hold_collection()
    assert gc.isenabled()


def test_closing_the_app_releases_a_hold(policy, monkeypatch):
    monkeypatch.setattr(gc, "unfreeze", lambda: None)  # (nothing frozen here)
    perf.hold_collection()
    perf.app_closed()
    assert gc.isenabled()


def test_no_full_collection_while_a_reply_streams(policy, monkeypatch):
    collected = []
    monkeypatch.setattr(gc, "collect", lambda *args: collected.append(args))
    young, middle, full = gc.get_threshold()
    perf.stream_started()
    assert gc.get_threshold() == (young, middle, perf.NO_FULL_COLLECTION)
    perf.stream_started()  # (a reply in a second chat)
    assert not perf.stream_ended()  # one still streams
    assert gc.get_threshold()[2] == perf.NO_FULL_COLLECTION
    assert perf.stream_ended()  # the last one: the collection put off comes a little later
    assert gc.get_threshold()[2] == perf.NO_FULL_COLLECTION and not collected
    perf.collect_put_off()
    assert gc.get_threshold() == (young, middle, full) and collected == [()]
    assert not perf.stream_ended()  # (ended twice: nothing changes)
    perf.collect_put_off()
    assert gc.get_threshold() == (young, middle, full) and collected == [()]


def test_a_reply_that_starts_before_the_put_off_collection_keeps_it_off(policy, monkeypatch):
    collected = []
    monkeypatch.setattr(gc, "collect", lambda *args: collected.append(args))
    before = gc.get_threshold()
    perf.stream_started()
    perf.stream_ended()
    perf.stream_started()  # the next reply, within the second
    perf.collect_put_off()  # (the first one's call)
    assert gc.get_threshold()[2] == perf.NO_FULL_COLLECTION and not collected
    perf.stream_ended()
    perf.collect_put_off()
    assert gc.get_threshold() == before and collected == [()]


def test_a_stream_without_the_launchers_policy_changes_nothing(policy, monkeypatch):
    monkeypatch.setattr(perf, "_active", False)
    before = gc.get_threshold()
    perf.stream_started()
    assert gc.get_threshold() == before


def test_closing_the_app_mid_stream_restores_full_collections(policy, monkeypatch):
    monkeypatch.setattr(gc, "unfreeze", lambda: None)
    before = gc.get_threshold()
    perf.stream_started()
    perf.app_closed()
    assert gc.get_threshold() == before
    perf.stream_ended()  # (the stream's own end, after the app closed)
    assert gc.get_threshold() == before
