"""One asyncio event loop per run, for every ``AsyncSkill`` call of that run.

An async skill may keep asyncio objects (a client, a queue, an event) between
calls; they are bound to the loop they were made on. So every coroutine of a
run runs on the run's one loop, as NeuroCore runs a flow's async skills on one
loop: steps and graph nodes in several threads submit their coroutines to it
and wait for the result, and parallel branches overlap on it. The loop lives in
a thread of its own, started when the first coroutine arrives, and is closed
(async generators and the default executor shut down) when the run ends. A
coroutine runs in the caller's ``contextvars`` context, so per-op state such as
LLM usage counting sees it. A coroutine that blocks the loop (a synchronous
sleep inside ``async def``) holds up the run's other coroutines, as in NeuroCore.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import threading
from collections.abc import Coroutine
from typing import Any

CLOSE_TIMEOUT_S = 10.0
"""How long closing waits for the loop's coroutines to finish being cancelled."""
log = logging.getLogger("neurocore_dagster")


class RunLoop:
    """The event loop of one run; :meth:`close` it when the run ends."""

    def __init__(self, name: str = "neurocore-run-loop") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        """The coroutine's result, run on this loop; cancelled if ``timeout`` passes first."""
        loop = self._started()
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        caller = contextvars.copy_context()
        tasks: list[asyncio.Task[Any]] = []

        def start() -> None:
            task = loop.create_task(coroutine, context=caller)
            tasks.append(task)
            task.add_done_callback(lambda done: _settle(done, future))

        loop.call_soon_threadsafe(start)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            loop.call_soon_threadsafe(lambda: [t.cancel() for t in tasks])
            raise

    def close(self) -> None:
        """Stop the loop after shutting down its async generators; later runs are refused."""
        with self._lock:
            self._closed = True
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(_shutdown(loop), loop).result(CLOSE_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            log.warning(
                "the run's event loop did not shut down within %.0fs: a coroutine blocks it "
                "(a synchronous wait inside async code?); its thread is left to end with "
                "the process",
                CLOSE_TIMEOUT_S,
            )
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CLOSE_TIMEOUT_S)
        if not thread.is_alive():
            loop.close()

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError("this run's event loop is closed: the run has ended")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=_serve, args=(loop,), name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()


async def _shutdown(loop: asyncio.AbstractEventLoop) -> None:
    pending = [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await loop.shutdown_asyncgens()
    await loop.shutdown_default_executor()


def _settle(task: asyncio.Task[Any], future: concurrent.futures.Future[Any]) -> None:
    if future.done():
        return
    if task.cancelled():
        future.cancel()
    elif task.exception() is not None:
        future.set_exception(task.exception())
    else:
        future.set_result(task.result())
