"""The library's log (skycrate/log.h) into a Python callable or logging.Logger."""

import logging

from . import _native
from ._native import lib

LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: logging.DEBUG}
_current = None  # the C callback in use: it must outlive every call that may log


def set_log(target, level=3):
    """Sends the library's log lines up to `level` (1 error .. 5 trace; 0 or target None: off)
    to `target`: a logging.Logger, or a callable(level, message). Process-wide; lines come
    from whichever thread logs. Secrets never reach a log line."""
    global _current
    if target is None or level == 0:
        lib.skycrate_log_set(0, _native.LOG_FN(), None)
        _current = None
        return
    if isinstance(target, logging.Logger):
        logger = target

        def target(lvl, message):
            logger.log(LEVELS.get(lvl, logging.DEBUG), "%s", message)

    def emit(lvl, message, user_data):
        try:
            target(lvl, _native.string(message))
        except Exception:  # a log line never fails the call that logs it
            pass

    callback = _native.LOG_FN(emit)
    lib.skycrate_log_set(level, callback, None)
    _current = callback
