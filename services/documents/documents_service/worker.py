"""A worker process of workers.WorkerPool: `python -m documents_service.worker [--nice=N] [--warm-up]`.

Reads `4-byte length + pickle((task, args))` from stdin, answers `4-byte length +
pickle((status, value))` on stdout: ("ok", result), ("raised", exception) for the exceptions a
task raises on purpose, ("crashed", text) for anything else. Exits at the end of its input.
Nothing else may write to the protocol stream: stdout is redirected to stderr at start.
"""
from __future__ import annotations

import os
import pickle
import struct
import sys
import time
import traceback

HEADER = struct.Struct(">I")


def _validate(path):
    from .validation import validate_file

    return validate_file(path)


def _render_summary(view, out_path):
    from .pdfs import render_summary

    return render_summary(view, out_path)


def _render_payment_proof(view, out_path, signing):
    from .pdfs import render_payment_proof

    return render_payment_proof(view, out_path, signing)


def _warm_up():
    from .pdfs import warm_up

    return warm_up()


def _sleep(seconds):
    time.sleep(seconds)  # a real, blocking sleep: tests check the service's hub stays free
    return seconds


def _burn(seconds):
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        n += 1
    return n


def _handshake(started_path, answer_path, limit):
    """Tests: says it started (a file), then waits, without a clock of its own beyond ``limit``,
    for the parent's hub to answer (another file). True if the answer came."""
    open(started_path, "w").close()
    deadline = time.monotonic() + limit
    while not os.path.exists(answer_path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _pid():
    return os.getpid()


def _niceness():
    return os.nice(0)


def _exit(code):
    os._exit(code)  # tests: a worker that dies mid-call


TASKS = {
    "validate": _validate,
    "render_summary": _render_summary,
    "render_payment_proof": _render_payment_proof,
    "warm_up": _warm_up,
    "sleep": _sleep,
    "burn": _burn,
    "handshake": _handshake,
    "pid": _pid,
    "niceness": _niceness,
    "exit": _exit,
}


def _expected_exceptions():
    from .validation import FileRejected

    return (FileRejected,)


def main(argv: list[str]) -> int:
    protocol_in = os.fdopen(os.dup(0), "rb", buffering=0)
    protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # a library printing to stdout must not corrupt the protocol
    sys.stdout = sys.stderr
    expected = _expected_exceptions()
    for arg in argv:
        if arg.startswith("--nice="):
            os.nice(int(arg.split("=", 1)[1]))  # yields the CPU to the processes answering requests
    if "--warm-up" in argv:
        try:
            _warm_up()
        except Exception:  # a cold first call is slower, not wrong
            traceback.print_exc()
    while True:
        header = _read(protocol_in, HEADER.size)
        if header is None:
            return 0
        task, args = pickle.loads(_read(protocol_in, HEADER.unpack(header)[0]) or b"")
        try:
            reply = ("ok", TASKS[task](*args))
        except expected as exc:
            reply = ("raised", exc)
        except BaseException:
            reply = ("crashed", traceback.format_exc(limit=5))
            traceback.print_exc()
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        protocol_out.write(HEADER.pack(len(data)) + data)


def _read(stream, size: int) -> bytes | None:
    chunks, missing = [], size
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
