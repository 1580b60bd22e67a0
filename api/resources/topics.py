"""``/topics``: the topic list, one topic, its articles."""

from schemas.directory import TopicSchema
from schemas.pages import TopicPageSchema
from schemas.query import TopicArgsSchema, TopicQueryArgsSchema

from .directory import directory_blueprint

blp = directory_blueprint(
    "topic",
    description="Topics, each with its article count and newest article's date. "
    "A topic's id is a slug of its name: `Computer Vision` is `computer-vision`.",
    example_id="computer-vision",
    entry_schema=TopicSchema,
    page_schema=TopicPageSchema,
    list_args=TopicQueryArgsSchema(),
    entry_args=TopicArgsSchema(),
)
