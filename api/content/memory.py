"""Give the memory freed after an index build back to the system."""

import ctypes
import functools
import gc


@functools.cache
def _libc():
    # The process's own symbols, libc's among them. Not ctypes.util.find_library: it runs
    # ldconfig in a subprocess, and a live reload builds in a thread of the gunicorn
    # master, which forks workers at any time: a worker forked while that subprocess
    # starts inherits its pipe, and the build waits for it forever.
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def release_free_memory() -> None:
    """Collect garbage, then ask glibc to return its free heap pages (``malloc_trim``).

    A build allocates far more than the index keeps (parsed records, the cache's
    contents); without this the process keeps that memory, and forked workers inherit
    it. Elsewhere than glibc this only collects garbage.
    """
    gc.collect()
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
