"""Where an article query applies: all articles, one topic's or one provider's.

Feeds and exports offer every format under ``/articles/``, ``/topics/{id}/`` and
``/providers/{id}/``; a :class:`Scope` gives each its path, its path parameter and, per
request, what it selects (a 404 for an unknown topic or provider, as the nested lists).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from flask import url_for

from ..content.index import ContentIndex
from .directory import Kind, _directory, _not_found

EXAMPLE_IDS = {"topic": "computer-vision", "provider": "voanews.com"}


@dataclass(frozen=True, slots=True)
class Scoped:
    """A scope as one request resolved it."""

    filter: dict[str, str]  # select_articles(..., **filter)
    name: str | None  # the topic's or provider's name
    entry_id: str | None  # as the path gave it
    list_url: str  # the JSON list of the same articles (URL-quoted path)


@dataclass(frozen=True, slots=True)
class Scope:
    kind: Kind | None  # None: all articles

    def register(self, blp, view, name: str, endpoint: str, verb: str, noun: str) -> None:
        """Route ``view`` at ``name`` (``feed.json``) in this scope, as endpoint
        ``endpoint`` (prefixed per scope), with the operationId :meth:`operation_id`
        makes of ``verb`` and ``noun``; under a topic or provider, an unknown id is a
        404, which the spec says too."""
        view.get = blp.doc(operationId=self.operation_id(verb, noun))(view.get)
        if self.kind is not None:
            view.get = blp.alt_response(404, response="NOT_FOUND")(view.get)
        blp.add_url_rule(
            self.path(name), f"{self.endpoint_prefix}{endpoint}", view, parameters=self.parameters
        )

    def path(self, name: str) -> str:
        """The route of ``name`` (``feed.json``) in this scope."""
        if self.kind is None:
            return f"/articles/{name}"
        return f"/{self.kind}s/<{self.kind}_id>/{name}"

    @property
    def parameters(self) -> list[dict]:
        if self.kind is None:
            return []
        return [
            {
                "in": "path",
                "name": f"{self.kind}_id",
                "description": f"The {self.kind}'s id.",
                "example": EXAMPLE_IDS[self.kind],
            }
        ]

    @property
    def endpoint_prefix(self) -> str:
        return "Articles" if self.kind is None else f"{self.kind.title()}Articles"

    def operation_id(self, verb: str, noun: str) -> str:
        """``getFeedJson``, ``getTopicFeedJson``, ``getProviderFeedJson``."""
        return f"{verb}{'' if self.kind is None else self.kind.title()}{noun}"

    def described(self, what: str) -> str:
        """``what`` of this scope's articles: "A feed of a topic's articles"."""
        return f"{what} articles" if self.kind is None else f"{what} a {self.kind}'s articles"

    def resolve(self, index: ContentIndex, path: dict[str, str]) -> Scoped:
        """What this request selects; a 404 problem for an unknown topic or provider."""
        if self.kind is None:
            return Scoped({}, None, None, url_for("articles.Articles"))
        entry_id = path[f"{self.kind}_id"]
        entry = _directory(index, self.kind).get_json(entry_id.lower())
        if entry is None:
            _not_found(self.kind, entry_id)
        return Scoped(
            {f"in_{self.kind}": entry_id.lower()},
            orjson.loads(entry)["name"],
            entry_id,
            url_for(f"{self.kind}s.EntryArticles", **{f"{self.kind}_id": entry_id}),
        )


SCOPES = (Scope(None), Scope("topic"), Scope("provider"))
