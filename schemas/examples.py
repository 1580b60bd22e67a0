"""Examples for the spec, made by passing one sample article through the real schemas.

The sample is an abridged copy of the bundled seed; because it goes through
``SeedSchema`` and the response schemas, the examples cannot drift from what the API
sends.
"""

from __future__ import annotations

from api.content.render import body_html

from .article import ArticleSchema, ArticleSummarySchema, RelatedItemSchema
from .directory import ProviderSchema, TopicSchema
from .seed import SeedSchema

_SAMPLE = SeedSchema().load(
    {
        "id": "000_31537b93d5a29298",
        "category": "news",
        "title": "Facial Recognition Technology Solves Crimes, but at What Cost?",
        "excerpt": "Even as big tech companies such as Amazon limit their sale of facial "
        "recognition software to law enforcement, one company has not: Clearview AI.",
        "publishedDateTime": "2021-06-17T17:16:00Z",
        "originalUrl": "https://www.voanews.com/silicon-valley-technology/facial-recognition",
        "webUrl": "https://www.voanews.com/silicon-valley-technology/facial-recognition",
        "type": "article",
        "quality": 39,
        "heat": 39,
        "published": False,
        "provider": {"name": "Voice of America", "domain": "voanews.com"},
        "topics": ["Computer Vision", "AI"],
        "body": "Even as big tech companies limit their sale of *facial recognition* "
        "software to law enforcement, one company has not: "
        "[Clearview AI](https://www.clearview.ai/).\n",
        "images": [
            {
                "url": "https://im-media.voltron.voanews.com/1_1ug7wck0.jpg",
                "width": 1920,
                "height": 1080,
                "isCached": True,
            }
        ],
        "related": [
            {
                "title": "Facetech Holdings Limited Receives Further Funding",
                "excerpt": "Facetech Holdings Limited has received funding to continue its "
                "research on facial recognition technology.",
                "publishedDateTime": "2021-06-16T05:33:00Z",
                "webUrl": "https://www.tmcnet.com/usubmit/2021/06/16/9391262.htm",
                "type": "article",
                "provider": {"name": "TMCnet", "domain": "tmcnet.com"},
                "quality": 10,
            }
        ],
    }
)
_BASE = "http://localhost:8000"


def _page(path: str, item: dict) -> dict:
    url = f"{_BASE}{path}?page=1"
    return {
        "items": [item],
        "total": 1,
        "page": 1,
        "pageSize": 20,
        "totalPages": 1,
        "links": {"self": url, "first": url, "prev": None, "next": None, "last": url},
    }


_SAMPLE["bodyHtml"] = body_html(_SAMPLE["body"])
ARTICLE_EXAMPLE = ArticleSchema().dump(_SAMPLE)
ARTICLE_PAGE_EXAMPLE = _page("/articles", ArticleSummarySchema().dump(_SAMPLE))
RELATED_PAGE_EXAMPLE = _page(
    f"/articles/{_SAMPLE['id']}/related", RelatedItemSchema().dump(_SAMPLE["related"][0])
)
_DIRECTORY_FIELDS = {
    "articleCount": 1,
    "latestPublishedDateTime": _SAMPLE["publishedDateTime"],
}


def directory_examples(kind: str) -> tuple[dict, dict]:
    """``(entry, page)`` examples for ``/providers`` or ``/topics``."""
    if kind == "provider":
        entry = ProviderSchema().dump({**_SAMPLE["provider"], **_DIRECTORY_FIELDS})
    else:
        entry = TopicSchema().dump({**_SAMPLE["topics"][0], **_DIRECTORY_FIELDS})
    return entry, _page(f"/{kind}s", entry)
