"""quiet_loggers holds third-party loggers below ERROR for a block and restores them, also
when blocks overlap across threads (two PDFs loaded at once)."""

import logging
import threading

from assistant.core.logs import quiet_loggers


def test_a_logger_is_quiet_inside_and_restored_after():
    lg = logging.getLogger("assistant-test.quiet")
    lg.setLevel(logging.INFO)
    with quiet_loggers("assistant-test.quiet"):
        assert lg.level == logging.ERROR
    assert lg.level == logging.INFO


def test_overlapping_blocks_in_two_threads_restore_the_level_once_both_end():
    lg = logging.getLogger("assistant-test.overlap")
    lg.setLevel(logging.NOTSET)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def a():  # enters first, leaves first
        with quiet_loggers("assistant-test.overlap"):
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():  # enters second, leaves last
        a_in.wait(5)
        with quiet_loggers("assistant-test.overlap"):
            b_in.set()
            a_out.wait(5)
            seen.append(lg.level)  # still quiet: b's block runs on

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start(), tb.start()
    ta.join(10), tb.join(10)
    assert a_out.is_set() and seen == [logging.ERROR]
    assert lg.level == logging.NOTSET  # a plain save/restore per block had left it at ERROR


def test_a_quieter_logger_is_not_made_louder_and_nesting_restores_once():
    lg = logging.getLogger("assistant-test.critical")
    lg.setLevel(logging.CRITICAL)
    with quiet_loggers("assistant-test.critical", "assistant-test.critical"):
        with quiet_loggers("assistant-test.critical"):
            assert lg.level == logging.CRITICAL
    assert lg.level == logging.CRITICAL
