"""Third-party loggers held below ERROR while a block runs (`quiet_loggers`): an exporter's
"consider pre-processing", pypdf's "EOF marker not found" on a file already reported as
unreadable say nothing to the user; errors still show. Safe across threads: overlapping
blocks (two PDFs loaded at once) restore a logger's level only when the last one ends."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

_LOCK = threading.Lock()
_HELD: dict[str, tuple[int, int]] = {}  # logger name -> (blocks holding it, its level before the first)


@contextmanager
def quiet_loggers(*names: str):
    with _LOCK:
        for n in names:
            lg = logging.getLogger(n)
            depth, level = _HELD.get(n, (0, lg.level))
            lg.setLevel(max(logging.ERROR, level))  # never louder: a logger set to CRITICAL stays so
            _HELD[n] = (depth + 1, level)
    try:
        yield
    finally:
        with _LOCK:
            for n in names:
                depth, level = _HELD.pop(n)
                if depth > 1:
                    _HELD[n] = (depth - 1, level)
                else:
                    logging.getLogger(n).setLevel(level)
