"""Checking an 835 against the 005010X221A1 implementation guide with pyx12.

The findings are warnings for a rep to read: they never block posting (payers send
files the guide would reject, and the money rules still apply). pyx12 reads text as
ASCII and trips on a UTF-8 BOM, so the bytes are decoded here (BOM stripped, UTF-8 with
a latin-1 fallback) and handed over as text. It is slow (about 11 s for 10,000 claims):
the screen runs it in a worker, the CLI only with --validate.
"""

from __future__ import annotations

import io
import logging
import threading

from billing_tui.x12.envelope import decode

MAX_WARNINGS = 500
_LOCK = threading.Lock()  # pyx12 reports through one global logger


def validate_835(data: bytes | str) -> list[str]:
    """pyx12's findings for the file, one string each (empty when it is clean)."""
    from pyx12 import params as pyx12_params
    from pyx12 import x12n_document

    text = decode(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    found: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR and len(found) < MAX_WARNINGS:
                found.append(record.getMessage())

    with _LOCK:
        logger = logging.getLogger("pyx12")
        handler = _Collect()
        old_level, old_propagate = logger.level, logger.propagate
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        try:
            ok = x12n_document.x12n_document(pyx12_params.params(), io.StringIO(text), None, None)
        except Exception as exc:  # noqa: BLE001 - pyx12 raises on what it cannot map
            found.append(f"the validator could not read the file: {exc}")
            ok = False
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
            logger.propagate = old_propagate
    if not ok and not found:
        found.append("the validator rejected the file without naming a segment")
    return found
