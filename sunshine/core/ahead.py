"""Prepare the next items while the caller writes the current one: a thread that runs ``prepare`` ahead of the
consumer, with its own database connection.

For a load whose every chunk is first read and compared in Python, then written by the server: one after the
other, the two cores of a small server take turns, each idle half the time. Here the thread reads and compares
chunk N+1 on a second connection while the caller's connection writes chunk N (psycopg and the Python code of
the comparison release the interpreter to each other while the server works). The thread's connection sees
only what is committed — not the caller's transaction — so ``prepare`` must not depend on what earlier chunks
of the same transaction wrote (the caller decides when that holds, and otherwise prepares in line)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from django.db import connections

T = TypeVar("T")
R = TypeVar("R")

_DONE = object()


def prepared_ahead(prepare: Callable[[T], R], items: Iterable[T], *, depth: int = 1) -> Iterator[R]:
    """``map(prepare, items)``, computed up to ``depth`` items ahead in a thread. An exception in ``prepare`` is
    raised here, at the item it was raised for; leaving the loop early (an exception in the caller's body, or
    ``close()``) stops the thread and closes its connection before this generator returns."""
    out: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if stop.is_set() or not put((prepare(item),)):
                    return
            put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, who raises it
            put(error)
        finally:
            connections.close_all()   # this thread's connections only (they are thread-local)

    thread = threading.Thread(target=work, name="prepared-ahead", daemon=True)
    thread.start()
    try:
        while True:
            found = out.get()
            if found is _DONE:
                return
            if isinstance(found, BaseException):
                raise found
            yield found[0]  # type: ignore[index]
    finally:
        stop.set()
        thread.join()
