"""Undo actions reach the run's cleanup even when its stack is empty (an empty ``Cleanup`` is falsy: a
scenario that wrote ``ngsild.cleanup and ngsild.cleanup.push(...)`` registered nothing as its first undo
action and left three subscriptions on the target after every run)."""

from __future__ import annotations

from conformance.cleanup import Cleanup
from conformance.ngsild.api import NgsiLd
from conformance.recording import RecordingClient
from conformance.redaction import Redactor


def test_first_undo_action_is_registered_on_an_empty_cleanup() -> None:
    cleanup = Cleanup()
    assert not cleanup  # the trap: an empty stack is falsy
    done: list[str] = []
    ngsild = NgsiLd(RecordingClient(redactor=Redactor()), "http://127.0.0.1:9", cleanup=cleanup)
    ngsild.undo_later("delete subscription s1", lambda: done.append("s1"))
    assert len(cleanup) == 1
    cleanup.sweep()
    assert done == ["s1"]


def test_no_cleanup_means_nothing_to_register() -> None:
    ngsild = NgsiLd(RecordingClient(redactor=Redactor()), "http://127.0.0.1:9")
    ngsild.undo_later("delete subscription s1", lambda: None)  # no error, nothing kept
