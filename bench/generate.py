"""The benchmark's corpus generator: a thin wrapper around ``api/content/generate.py``.

The generator lives in the app (``flask --app wsgi seeds generate``, used by
``make demo``), so the demo corpus and the benchmark's are made by the same code::

    python bench/generate.py OUT_DIR --count N [--seed 1] [--jobs J] [--force]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.content.generate import main

if __name__ == "__main__":
    sys.exit(main())
