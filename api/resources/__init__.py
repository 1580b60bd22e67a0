"""One blueprint per resource; ``BLUEPRINTS`` is what the app registers, in spec order."""

from . import articles, exports, feeds, health, home, providers, suggest, sync, topics

BLUEPRINTS = (
    home.blp,
    articles.blp,
    providers.blp,
    topics.blp,
    suggest.blp,
    feeds.blp,
    exports.blp,
    sync.blp,
    health.blp,
)
