"""CPU-heavy work off the eventlet hub: a small pool of long-lived worker processes.

File validation (pypdf, Pillow), PDF rendering (WeasyPrint) and signing (pyHanko) can take
hundreds of milliseconds of pure CPU; run on the hub they would stall every other RPC of the
service. Each worker is `python -m documents_service.worker`, a plain (not monkey-patched)
process that reads length-prefixed pickled calls on its stdin and answers on its stdout. The
parent talks to it through eventlet's green pipes, so waiting for a result yields to the hub.

Why not concurrent.futures.ProcessPoolExecutor: its management thread and the locks its futures
wait on are green threads and green locks once eventlet has patched `threading`, and waiting
for them from eventlet's OS thread pool (tpool) crosses hubs ("Cannot switch to a different
thread"); this pool has no threads at all.

The workers run at a lower CPU priority (`nice`, DOCUMENTS_WORKER_NICE, 10 by default): when the
cores are busy, the processes that answer requests (the hubs, the gateway) get the CPU first and
a render waits, instead of every page waiting behind renders (issue 15: the summary of each
version is rendered at transmission, so renders and downloads now overlap).

A call that exceeds its timeout kills its worker (a new one takes its place) and raises
ServiceUnavailable; so does a worker that dies. Exceptions the task raises on purpose
(validation.FileRejected) come back as themselves.
"""
from __future__ import annotations

import logging
import os
import pickle
import struct
import sys

import eventlet
from eventlet.green import subprocess
from eventlet.queue import LightQueue

from consignations_shared.errors import ServiceUnavailable

log = logging.getLogger(__name__)

HEADER = struct.Struct(">I")
BUSY = "La génération du document prend plus de temps que prévu. Veuillez réessayer dans quelques instants."


DEFAULT_NICE = 10


def default_worker_count() -> int:
    """Cores − 1 (at least 1): the hub, the broker and the database keep a core."""
    return max(1, (os.cpu_count() or 1) - 1)


class WorkerDied(Exception):
    pass


class _Worker:
    def __init__(self, warm_up: bool, nice: int = DEFAULT_NICE):
        command = [sys.executable, "-m", "documents_service.worker", f"--nice={nice}"]
        if warm_up:
            command.append("--warm-up")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)

    def call(self, task: str, args: tuple):
        payload = pickle.dumps((task, args), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.process.stdin.write(HEADER.pack(len(payload)) + payload)
            self.process.stdin.flush()
            header = self._read(HEADER.size)
            status, value = pickle.loads(self._read(HEADER.unpack(header)[0]))
        except (OSError, EOFError, pickle.UnpicklingError, struct.error) as exc:
            raise WorkerDied(str(exc)) from exc
        if status == "ok":
            return value
        if status == "raised":
            raise value
        raise WorkerDied(value)

    def _read(self, size: int) -> bytes:
        chunks, missing = [], size
        while missing:
            chunk = self.process.stdout.read(missing)
            if not chunk:
                raise EOFError("worker exited")
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def kill(self):
        try:
            self.process.kill()
            self.process.wait()
        except Exception:  # already gone
            pass

    def close(self):
        try:
            self.process.stdin.close()  # the worker exits at end of input
            with eventlet.Timeout(5):
                self.process.wait()
        except (Exception, eventlet.Timeout):
            self.kill()


class WorkerPool:
    def __init__(self, size: int | None = None, timeout: float = 60.0, warm_up: bool = True,
                 nice: int = DEFAULT_NICE):
        self.size = size or default_worker_count()
        self.timeout = timeout
        self.warm_up = warm_up
        self.nice = nice
        self._idle: LightQueue | None = None
        self._workers: list[_Worker] = []

    def start(self):
        self._idle = LightQueue()
        for _ in range(self.size):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self.warm_up, self.nice)
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker):
        worker.kill()
        if worker in self._workers:
            self._workers.remove(worker)

    def run(self, task: str, *args, timeout: float | None = None):
        """The task's result, computed in a worker process; waits (green) for a free worker."""
        if self._idle is None:
            self.start()
        timeout = self.timeout if timeout is None else timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except eventlet.queue.Empty:
            raise ServiceUnavailable(BUSY) from None
        healthy = True
        try:
            with eventlet.Timeout(timeout):
                return worker.call(task, args)
        except eventlet.Timeout:
            healthy = False
            log.error("worker task %s exceeded %ss: worker killed", task, timeout)
            raise ServiceUnavailable(BUSY) from None
        except WorkerDied as exc:
            healthy = False
            log.error("worker died during %s: %s", task, exc)
            raise ServiceUnavailable(BUSY) from None
        finally:
            if not healthy:
                self._retire(worker)
                worker = self._spawn()
            self._idle.put(worker)

    def stop(self):
        for worker in list(self._workers):
            worker.close()
        self._workers.clear()
        self._idle = None


class InlineRunner:
    """Same interface, in the calling process: unit tests of the use cases."""

    def run(self, task: str, *args, timeout: float | None = None):
        from .worker import TASKS

        return TASKS[task](*args)
