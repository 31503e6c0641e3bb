"""The relay that carries the decoded frames from one encode process to the other.

The lowest-rung ffmpeg writes the frames into a pipe; the relay holds up to a
set number of bytes of them, so that process may run ahead, and feeds them to
the ffmpeg that encodes the upper rungs (see `ffmpeg_encoder`).
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
import threading

# How far (in bytes of raw frames) the lowest rung may run ahead of the upper ones.
# 512 MiB is 5.7 s of 1080p30 (the top rung is never bigger than 1080p): enough for
# the lowest rung's first segment to come out at the speed of that process alone.
FRAME_BUFFER_BYTES = 512 * 1024 * 1024
RELAY_CHUNK_BYTES = 1024 * 1024


class FrameRelay:
    """Moves the decoded frames from the lowest-rung process to the upper-rungs process.

    ffmpeg writes into one pipe (`input_fd`) and reads another (`output_fd`);
    one thread reads the first into a queue of at most `limit_bytes`, another
    writes the queue into the second. When the queue is full the first process
    waits on its pipe, so it never runs further ahead than the buffer allows.
    """

    def __init__(self, *, limit_bytes: int, stop: threading.Event) -> None:
        self._limit = limit_bytes
        self._stop = stop
        self._read_end, self.input_fd = os.pipe()
        self.output_fd, self._write_end = os.pipe()
        for fd in (self.input_fd, self.output_fd):
            _widen_pipe(fd)
        self._open_child_ends = {self.input_fd, self.output_fd}
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._ended = False
        self._changed = threading.Condition()
        self.full = threading.Event()  # the buffer has reached its limit at least once
        self._threads = [
            threading.Thread(target=self._take_in, daemon=True),
            threading.Thread(target=self._hand_out, daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def _take_in(self) -> None:
        try:
            while True:
                with self._changed:
                    while self._buffered >= self._limit and not self._stop.is_set():
                        self.full.set()
                        self._changed.wait(0.5)
                if self._stop.is_set():
                    return
                data = os.read(self._read_end, RELAY_CHUNK_BYTES)
                with self._changed:
                    if data:
                        self._chunks.append(data)
                        self._buffered += len(data)
                    else:
                        self._ended = True
                    self._changed.notify_all()
                if not data:
                    return
        finally:
            os.close(self._read_end)

    def _hand_out(self) -> None:
        try:
            while True:
                with self._changed:
                    while not self._chunks and not self._ended and not self._stop.is_set():
                        self._changed.wait(0.5)
                    if self._stop.is_set() or not self._chunks:
                        return  # stopped, or everything was handed over
                    data = self._chunks.popleft()
                    self._buffered -= len(data)
                    self._changed.notify_all()
                view = memoryview(data)
                while view:
                    view = view[os.write(self._write_end, view) :]
        except OSError:
            return  # the reading ffmpeg is gone; its own exit status says why
        finally:
            os.close(self._write_end)

    def release_input(self) -> None:
        """Once the writing ffmpeg has its copy: without ours, its exit reads as the end."""
        self._release(self.input_fd)

    def release_output(self) -> None:
        """Once the reading ffmpeg has its copy: without ours, its exit breaks the pipe."""
        self._release(self.output_fd)

    def _release(self, fd: int) -> None:
        if fd in self._open_child_ends:
            self._open_child_ends.discard(fd)
            os.close(fd)

    def close(self) -> None:
        """After both processes ended (or failed to start): let the threads finish."""
        self.release_input()
        self.release_output()
        with self._changed:
            self._changed.notify_all()
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(timeout=5)


def _widen_pipe(fd: int) -> None:
    # A 64 KiB pipe (Linux's default) moves a 3 MB frame in 48 system calls; 1 MiB in 3.
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    # Above this system's limit it fails, and the default size only costs more calls.
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, set_size, RELAY_CHUNK_BYTES)
