"""One blueprint per resource; ``BLUEPRINTS`` is what the app registers, in spec order."""

from . import articles, home, providers, suggest, topics

BLUEPRINTS = (home.blp, articles.blp, providers.blp, topics.blp, suggest.blp)
