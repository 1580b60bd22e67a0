"""Give the memory freed after an index build back to the system."""

import ctypes
import ctypes.util
import functools
import gc


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


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
