"""Marshmallow schemas: the one source for validation, serialization and the OpenAPI spec.

- ``seed``: what a content file may hold (read liberally, validated).
- ``article``, ``provider``, ``topic``: what the API sends.
- ``query``: the query parameters each operation accepts.
- ``common``: the list envelope and the problem document shared by all.
"""
