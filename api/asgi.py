"""The ASGI entry point for uvicorn: `uvicorn api.asgi:app`."""

import gc

from api.app import create_app

app = create_app()

# The imports and the app just built are hundreds of thousands of objects that live as long as
# the process, and every full (oldest-generation) collection walked them all again: one paused
# the server 413 ms in a 15 s load run. Collect start-up's garbage once, then move what is left
# to the permanent generation, which the collector no longer scans (longest pause 10.5 ms).
# Only here, where the app is built for serving: tests build many apps and let them go.
gc.collect()
gc.freeze()
