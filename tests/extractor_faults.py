"""A Python extractor for tests that fails on purpose, the way a native parser can: registered in place of
the real one (`vlint.extract.EXTRACTORS`) before a scan forks its workers. A file holding one of the
markers below makes the worker crash or hang for real; any other file goes to the real extractor."""

from __future__ import annotations

import ctypes
import hashlib
import os
import time

from vlint.facts import FileFacts

TARGET = "tests.extractor_faults:extract"


def extract(text: str, path: str) -> FileFacts:
    if "FAULT-ABORT" in text:
        os.abort()
    if "FAULT-SEGV" in text:
        ctypes.string_at(0)  # a read of address 0 in native code: SIGSEGV
    if "FAULT-EXIT" in text:
        os._exit(3)
    if "FAULT-PYTHON-LOOP" in text:
        while True:
            pass
    if "FAULT-NATIVE-LOOP" in text:
        # minutes inside OpenSSL: the interpreter never gets control back to run a signal handler
        hashlib.pbkdf2_hmac("sha256", b"x", b"salt", 2**31 - 1)
    if "FAULT-SLEEP" in text:
        time.sleep(600)
    from vlint.extract.python import extract_python

    return extract_python(text, path)
