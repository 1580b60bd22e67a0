"""Marshmallow schemas: the one source for validation, serialization and the OpenAPI spec.

- ``seed``: what a content file may hold (read liberally, validated).
- ``article``, ``directory`` (providers and topics), ``home``: what the API sends;
  ``pages``: their list envelopes; ``common``: the envelope's base and the problem
  document.
- ``query``: the query parameters each operation accepts; ``selection``: ``fields=``.
- ``fields``: custom fields (timestamps, scores, date bounds). The spec's examples are
  what the views answer over an example index (``api/resources/examples.py``).
"""
