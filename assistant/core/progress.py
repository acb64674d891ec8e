"""Progress of long work (indexing, model fetch) on the terminal: a live tqdm bar with
rate and ETA when stderr is a terminal, plain lines (at most every few seconds)
otherwise, e.g. in CI logs or under `make run`'s output capture."""

from __future__ import annotations

import sys
import time
from typing import Any


class TerminalProgress:
    """A callable (done, total, message) for `build_index(progress=...)` and the model
    fetchers; a context manager that closes the last bar."""

    def __init__(self, stream=None, interval_s: float = 5.0):
        self.stream, self.interval = stream or sys.stderr, interval_s
        self._bar: Any = None
        self._msg, self._last, self._t0 = "", 0.0, time.perf_counter()

    def __enter__(self) -> "TerminalProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __call__(self, done: int, total: int, message: str) -> None:
        if message != self._msg:
            self.close()
            self._msg, self._t0 = message, time.perf_counter()
            self._last = self._t0
            if total <= 1:  # a phase without counts
                print(f"{message} …", file=self.stream, flush=True)
                return
        if total <= 1:
            return
        if self.stream.isatty():
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=total, desc=message, file=self.stream, dynamic_ncols=True)
            bar = self._bar
            bar.update(done - bar.n)
            return
        now = time.perf_counter()
        if done and (done == total or now - self._last >= self.interval):
            rate = done / max(now - self._t0, 1e-9)
            eta = (total - done) / rate if rate > 0 else 0.0
            print(f"{message}: {done}/{total} ({rate:.1f}/s, ETA {eta:.0f}s)", file=self.stream, flush=True)
            self._last = now

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
