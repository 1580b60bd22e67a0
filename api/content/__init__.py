"""The content: seed files read into an immutable in-memory index.

- ``seeds``: find the content files and read one into an :class:`ArticleRecord`.
- ``build``: read a whole folder (in parallel, through the build cache).
- ``cache``: the build cache, so an unchanged file is never parsed twice.
- ``index``: the immutable :class:`ContentIndex` every request reads.
- ``memory``: give back the memory a build freed.
"""
