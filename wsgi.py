"""The WSGI app, as servers load it (``wsgi:app``): granian's workers, ``flask --app wsgi``."""

import gc

from api import create_app

app = create_app()
# What start-up made (modules, the app, its schemas and routes: some 75,000 objects) lives
# as long as the process. Frozen, the cyclic garbage collector's full passes no longer
# walk it: they took 15-35 ms each, a pause every worker's slowest requests waited on.
gc.freeze()
