"""One blueprint per resource; ``BLUEPRINTS`` is what the app registers, in spec order."""

from . import articles, exports, feeds, home, providers, topics

BLUEPRINTS = (home.blp, articles.blp, providers.blp, topics.blp, feeds.blp, exports.blp)
