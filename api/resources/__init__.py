"""One blueprint per resource; ``BLUEPRINTS`` is what the app registers, in spec order."""

from . import articles, health, home, providers, topics

BLUEPRINTS = (home.blp, articles.blp, providers.blp, topics.blp, health.blp)
