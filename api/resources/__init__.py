"""One blueprint per resource; ``BLUEPRINTS`` is what the app registers, in spec order."""

from . import articles, providers, topics

BLUEPRINTS = (articles.blp, providers.blp, topics.blp)
