"""The example token of ``/sync`` in the spec (a real token of an example store; the
page example is made by api.resources.examples from the example index)."""

SYNC_TOKEN_EXAMPLE = "AVNcHw56mz0sQQAAAAAAAAAHOm60hBC0rro"
