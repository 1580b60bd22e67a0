"""granian's main process, started by :mod:`.server`: it imports what every worker
imports (Flask, numpy, marshmallow, tantivy, the app's modules) before granian forks its
workers, so that a worker starts by creating the app alone, and shares those modules'
memory with the others (copy on write) rather than loading its own copy.

Only modules are imported here: no app, no thread, no open file (a fork copies none of
those safely).
"""

import os

# numpy's BLAS would start a thread pool at import; a forked child must not inherit one.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from granian.cli import entrypoint  # noqa: E402

import api.app  # noqa: E402,F401  (the app's modules, and what they import)

if __name__ == "__main__":
    entrypoint()
