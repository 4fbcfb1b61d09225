"""One function call run in a forked child process, its value sent back through a pipe.

A large refresh is CPU-bound Python and numpy on one core, in independent batches; this
lets it use every core. The parent keeps everything that touches the database; the
child, forked once the parent has read a batch's inputs, inherits them in memory (so
nothing is sent to it), computes, and sends back only its pickled value.

Forking is safe only where no other thread runs: a child inherits every lock as it was
at the fork, and one held by another thread (a threaded web server's, a notebook
kernel's) would never be released in the child. So `usable()` asks that this process
run one thread, on a system that forks. A child leaves by `os._exit`: no destructor,
finalizer or buffered output it inherited runs a second time, and it never touches the
database connection it inherited (a pooled connection closed by a child would be
closed under the parent too).
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable
from typing import Any


class ChildFailed(RuntimeError):
    """A child ended without sending a value: killed, or its error could not be sent."""


def usable() -> bool:
    """Tell whether this process may fork a child now (POSIX, and one thread running)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def cores() -> int:
    """Return how many cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class Child:
    """`function(*args)` running in a forked child; `result()` waits for its value."""

    def __init__(self, function: Callable[..., Any], *args: Any):
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            _run(writer, function, args)  # never returns
        os.close(writer)
        self.pid, self._reader = pid, reader

    def result(self) -> Any:
        """Wait for the child; return its value, or raise the error it raised."""
        with os.fdopen(self._reader, "rb") as stream:
            payload = stream.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if not payload:
            raise ChildFailed(f"a forked worker ended (exit status "
                              f"{os.waitstatus_to_exitcode(status)}) without an answer")
        done, value = pickle.loads(payload)
        if done:
            return value
        raise value

    def cancel(self) -> None:
        """Stop the child if it still runs (the parent gave up on the work)."""
        if not self.pid:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except ProcessLookupError:  # pragma: no cover (already reaped elsewhere)
            pass
        os.close(self._reader)
        self.pid = 0


def _run(writer: int, function: Callable[..., Any], args: tuple) -> None:
    """In the child: compute, send (True, value) or (False, error), and leave."""
    code = 0
    try:
        try:
            payload = pickle.dumps((True, function(*args)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as error:  # noqa: BLE001 (sent to the parent, raised there)
            payload = pickle.dumps((False, _portable(error)), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(writer, "wb") as stream:
            stream.write(payload)
    except BaseException:  # noqa: BLE001 (nothing could be sent: the parent says so)
        code = 1
    finally:
        os._exit(code)


def _portable(error: BaseException) -> BaseException:
    """Return the error with the child's traceback as a note, or a stand-in that pickles."""
    text = "".join(traceback.format_exception(error))
    try:
        error.add_note(f"in a forked worker:\n{text}")
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001 (an error that cannot cross a pipe: its text can)
        return ChildFailed(f"a forked worker failed:\n{text}")
