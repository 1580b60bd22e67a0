"""Deterministic generator of a synthetic article corpus: the demo's and the benchmark's.

Usage::

    flask --app wsgi seeds generate --count N [--seed 1] [--jobs J] [--force] OUT_DIR
    python bench/generate.py OUT_DIR --count N [--seed 1] [--jobs J] [--force]

    flask --app wsgi seeds generate --count 3000 .demo/3000-1   # what `make demo` serves
    python bench/generate.py /tmp/gen100k --count 100000 --seed 1 --jobs 2

Both commands run this module (``bench/generate.py`` is a thin wrapper around
:func:`main`), so the demo corpus and the benchmark's are made by the same code and the
same ``--seed`` and ``--count`` give the same bytes through either. Offline: it reads
nothing but its own tables.

Writes ``OUT_DIR/<bucket>/a<index:07d>.md`` for ``index`` in ``0..N-1``, where
``bucket = f"{index // 1000:03d}"`` (``OUT_DIR/000/a0000000.md`` ...
``OUT_DIR/099/a0099999.md``), so no folder holds more than 1,000 files.  The
article id is the file stem (``a0000042``).  ``--count`` is capped at
1,000,000 so the three-digit buckets sort like the indices and the per-article
seeds (below) of different ``--seed`` values never collide.

Every file copies the layout of the real seed article
(``/work/shared/seeds/000_*.txt``) byte for byte in style: YAML front matter
between ``---`` lines with the same key order, the same blank lines between
groups, double-quoted titles, excerpts, URLs and ``secured``, plain
``category``/``type``/provider/topic scalars, an unquoted
``publishedDateTime: 2021-06-17T17:16:00Z`` (which YAML loads as a
timezone-aware ``datetime``), then a blank line and a markdown body that may be
empty.  Empty lists are written as ``images: []`` / ``related: []`` so every
top-level key is always present; a related item's ``images`` key is optional
and simply omitted when it has none, as in the seed.

The front matter is emitted by hand rather than by ``yaml.safe_dump`` because
``safe_dump`` cannot reproduce the seed's mixed quoting and blank lines.
Double-quoted strings use JSON escaping (``\\"``, ``\\\\``, ``\\uXXXX``), which
is a subset of YAML's double-quoted escapes; plain scalars are only used for
values from fixed tables that were checked at import to load back unchanged.

Determinism
    Output depends only on ``(seed, count, index)``, never on ``--jobs``: each
    article draws from its own ``random.Random(seed * 1_000_003 + index)``.
    The first draws of that stream are the article's *metadata* (title,
    excerpt, date, provider, type, quality, URLs, images), so any article's
    metadata can be recomputed from its index alone (:func:`article_meta`);
    that is how ``related`` items point at other generated articles without
    holding the corpus in memory.  The word, provider and topic tables are
    fixed (built from ``random.Random`` with constant seeds) and do not depend
    on ``--seed``.  ``count`` matters only because internal related links
    target indices in ``0..count-1``: article 5 of a 1k corpus and article 5 of
    a 100k corpus share their metadata but may differ in ``related``.

Distributions
    category
        news 50%, analysis 18%, opinion 13%, review 11%, feature 8%.
    title
        5-12 words (uniform), headline case (short function words lower case
        unless first or last); ~12% end in ``?``, ~10% have a ``Word: rest``
        colon, ~3% contain a double-quoted phrase, ~4% a possessive with a typographic
        apostrophe (U+2019, like the seed's "RCMP\u2019s").
    excerpt
        25-60 words (uniform) in one to three sentences, occasional commas.
    words
        Zipf-Mandelbrot (weight ``1 / (rank + 2.7)``) over a fixed vocabulary
        of exactly 3,000 distinct words: 36 function words ranked first, then
        ~395 real English base words (news vocabulary) with 18 acronyms and
        accented words (``AI``, ``café``, ``Zürich``...) sprinkled among them,
        then mechanical derivations (``-s``, ``-ing``, ``-ed``, ``-er``,
        ``-ers``, ``-ness``, ``-less``, ``-ful``, ``-ment``) in a fixed shuffled
        order, cut off at 3,000.  Derived words are often not real English
        ("villagement"); they exist to give search/index code a realistic
        vocabulary size and frequency skew.  "the" is ~3.5% of all words.
    publishedDateTime
        Uniform over every minute of 2019-01-01T00:00Z .. 2026-10-31T23:59Z
        (seconds always ``00``, as in the seed).  External related items are
        dated 0-14 days before their article.
    originalUrl / webUrl
        ``webUrl`` is ``https://<provider domain>/<yyyy>/<mm>/<slug>-<index>``
        and therefore unique.  ``originalUrl`` equals ``webUrl`` for 85% of
        articles, otherwise it is an ``amp.`` host or carries a
        ``?utm_source=...&utm_medium=...`` query.
    type
        article 94%, video 4%, podcast 2%.
    quality
        ``round(100 * betavariate(2, 2))``: bell-shaped around 50, 0-100.
    heat
        ``int(101 * random() ** 3)``: most articles cold, a few hot (0-100).
    published
        True with probability 0.8.
    provider
        One of 800 fixed providers ("Tech Daily 12" / ``techdaily12.com``),
        names from prefix x masthead word lists, ~25% with a number, ~80%
        ``.com``; popularity Zipf ``1 / rank`` (the top provider has ~14% of
        articles, the median one ~0.03%).
    topics
        1-4 distinct (1: 35%, 2: 35%, 3: 20%, 4: 10%) from 68 display names
        (``AI``, ``C++``, ``Health & Fitness``, ``Élections``, ...), Zipf
        ``1 / rank ** 0.9``.
    images
        0-3 (0: 25%, 1: 50%, 2: 15%, 3: 10%); common sizes (1920x1080 ...);
        ``isCached`` true 75%.
    related
        0-4 items (0: 20%, 1: 25%, 2: 25%, 3: 18%, 4: 12%).  Each is internal
        with probability 0.4: a different, distinct generated article whose
        title, excerpt, date, webUrl, type, provider and quality are copied
        and whose first image (if any) becomes ``images``.  Otherwise it is
        external: fresh title/excerpt, a Zipf-drawn provider, a
        ``https://www.<domain>/news/<slug>/<number>`` URL that can never
        equal a generated ``webUrl``, and an image 40% of the time.
    secured
        ``base64(280-320 random bytes) + ";" + base64(16 random bytes)``,
        ~400 characters, like the seed.
    body
        0-5 paragraphs (0: 25%, then 15% each).  A paragraph is prose of 2-6
        sentences of 8-22 words (~8% of them with a ``**bold**`` word or a
        markdown link), or with 12% probability a ``## Heading`` and with 10%
        probability a 3-5 item bullet list.  Paragraphs are separated by a
        blank line; an empty body leaves the file ending in ``---\\n\\n``.

Safety
    Nothing is ever deleted.  A non-empty ``OUT_DIR`` is refused unless
    ``--force``, which only (over)writes the generated file names: files left
    by an earlier, larger run stay where they are.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import multiprocessing
import os
import random
import re
import sys
import time
import unicodedata
from bisect import bisect
from dataclasses import dataclass
from pathlib import Path

import yaml

MAX_COUNT = 1_000_000
BUCKET_SIZE = 1000
SEED_STRIDE = 1_000_003

# --------------------------------------------------------------------------
# Fixed tables (independent of --seed)
# --------------------------------------------------------------------------


def _wordlist(text: str) -> list[str]:
    """Split a whitespace-separated word list (compacter than list literals)."""
    return text.split()


_FUNCTION_WORDS = _wordlist(
    "the of and to a in for on with as by at from is that it its after over "
    "amid into about more than could will says how why what who new this "
    "their not but"
)

_BASE_WORDS = _wordlist(
    # nouns
    "government market company energy climate election policy report study "
    "court city country council budget economy growth inflation price rate "
    "bank investor share stock fund trade deal tariff border war peace army "
    "police crime law rule vote party leader minister president senate "
    "campaign health hospital patient doctor vaccine virus disease drug school "
    "student teacher university research science scientist space rocket "
    "satellite planet moon star ocean river forest storm flood fire drought "
    "heat winter summer weather farm food water power oil gas coal solar wind "
    "battery car train plane airport road bridge port ship factory worker job "
    "wage union strike tax debt loan home house rent family child parent woman "
    "people community village region state nation world network data software "
    "computer phone chip robot model algorithm platform app user privacy "
    "security hacker cloud server code startup founder product service "
    "customer brand retail store sale profit loss revenue earnings quarter "
    "year week day season team player coach match game league title record "
    "goal fan film music artist album book author show series festival museum "
    "art culture history language church faith right protest judge trial case "
    "verdict prison refugee migrant visa summit treaty alliance sanction "
    "embassy agency regulator industry sector supply chain shortage demand "
    "export import currency bond yield crisis recovery reform plan strategy "
    "project program initiative challenge risk threat warning signal trend "
    "future vision image camera sensor engine fuel mine metal steel copper "
    "lithium grid carbon emission pollution species wildlife coral ice "
    "glacier desert island coast mountain valley "
    # verbs
    "announce launch reveal warn approve reject ban block cut raise boost "
    "push pull face win lose claim deny accept expand close open build invest "
    "hire sign reach test track mark start end return back call seek target "
    "move shift drop climb surge slump rally stall delay cancel review probe "
    "charge sue settle fine pledge promise vow urge debate discuss consider "
    "unveil release update upgrade replace restore protect defend attack "
    "threaten struggle recover survive predict measure discover explore "
    "develop design train learn teach watch listen play visit travel host "
    "join leave "
    # adjectives
    "big small major minor global local national public private digital "
    "social political economic financial military environmental scientific "
    "medical legal rural urban green clean cheap costly rapid slow strong weak "
    "high low early late first last final key top rare common safe risky "
    "smart free fair bold quiet critical historic massive tiny ancient modern "
    "remote foreign domestic northern southern eastern western central"
)

# Kept verbatim (no derivations): acronyms and non-ASCII words.
_SPECIAL_WORDS = _wordlist(
    "AI EU UN NASA GDP CEO COVID NATO UK US café naïve résumé élite façade São Zürich Montréal"
)

_SUFFIXES = ("s", "ing", "ed", "er", "ers", "ness", "less", "ful", "ment")
VOCABULARY_SIZE = 3000
_VOWELS = set("aeiou")


def _derive(word: str, suffix: str) -> str:
    """Attach a suffix with a few English spelling rules (good enough)."""
    if suffix == "s":
        if word.endswith(("s", "x", "z", "ch", "sh")):
            return word + "es"
        if word.endswith("y") and word[-2] not in _VOWELS:
            return word[:-1] + "ies"
        return word + "s"
    if suffix[0] in _VOWELS:  # ing, ed, er, ers
        if word.endswith("e") and not word.endswith("ee"):
            word = word[:-1]
        elif word.endswith("y") and word[-2] not in _VOWELS and suffix != "ing":
            word = word[:-1] + "i"
        return word + suffix
    if word.endswith("y") and word[-2] not in _VOWELS:
        word = word[:-1] + "i"
    return word + suffix


def _build_vocabulary() -> list[str]:
    base = list(dict.fromkeys(_BASE_WORDS))
    random.Random(20190101).shuffle(base)
    seen = set(_FUNCTION_WORDS) | set(base) | set(_SPECIAL_WORDS)
    derived: list[str] = []
    for w in sorted(set(_BASE_WORDS)):
        for suf in _SUFFIXES:
            d = _derive(w, suf)
            if d not in seen:
                seen.add(d)
                derived.append(d)
    random.Random(20261031).shuffle(derived)
    specials = list(_SPECIAL_WORDS)
    words = list(_FUNCTION_WORDS) + base
    # Sprinkle the special words into the middle ranks.
    for i, w in enumerate(specials):
        words.insert(60 + 17 * i, w)
    return (words + derived)[:VOCABULARY_SIZE]


VOCABULARY: list[str] = _build_vocabulary()
# Zipf-like cumulative weights (summed in order, so the same floats on every machine).
_VOCAB_CUM = list(itertools.accumulate(1.0 / (r + 2.7) for r in range(len(VOCABULARY))))

_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "but",
        "or",
        "nor",
        "for",
        "of",
        "on",
        "at",
        "to",
        "from",
        "by",
        "in",
        "with",
        "as",
        "vs",
        "into",
        "over",
        "amid",
        "after",
        "about",
        "than",
        "its",
        "is",
    ]
)

TOPICS: list[str] = [
    "AI",
    "Climate Change",
    "Politics",
    "Economy",
    "Space Exploration",
    "Computer Vision",
    "Cybersecurity",
    "Health & Fitness",
    "Élections",
    "Machine Learning",
    "Stock Markets",
    "Renewable Energy",
    "Electric Vehicles",
    "Startups",
    "Public Health",
    "Football",
    "Smartphones",
    "Cryptocurrency",
    "Foreign Policy",
    "Privacy",
    "Cloud Computing",
    "Robotics",
    "Semiconductors",
    "Social Media",
    "Movies",
    "Music",
    "Education",
    "Real Estate",
    "Inflation",
    "Astronomy",
    "Medicine",
    "Mental Health",
    "Immigration",
    "Human Rights",
    "Europe",
    "Asia",
    "Africa",
    "Latin America",
    "Middle East",
    "Open Source",
    "C++",
    "Python",
    "JavaScript",
    "Rust",
    "Blockchain",
    "Fintech",
    "Venture Capital",
    "Energy",
    "Environment",
    "Wildlife",
    "Oceans",
    "Agriculture",
    "Food & Drink",
    "Biotech",
    "Physics",
    "Science",
    "Defense",
    "Law & Justice",
    "Tennis",
    "Formula 1",
    "Gaming",
    "Books",
    "Art & Design",
    "Travel",
    "Fashion",
    "5G",
    "Media & Journalism",
    "Sports",
]
_TOPIC_CUM: list[float] = []
_acc = 0.0
for _r in range(len(TOPICS)):
    _acc += 1.0 / (_r + 1) ** 0.9
    _TOPIC_CUM.append(_acc)
del _acc, _r

_PROVIDER_PREFIXES = [
    "Tech",
    "Global",
    "Metro",
    "Capital",
    "Coastal",
    "Northern",
    "Pacific",
    "Atlantic",
    "Valley",
    "Harbor",
    "Summit",
    "Liberty",
    "Union",
    "Evening",
    "Morning",
    "Sunday",
    "Market",
    "Science",
    "Health",
    "Green",
    "Urban",
    "Prairie",
    "Mountain",
    "Riverside",
    "Lakeside",
    "Civic",
    "Digital",
    "Open",
    "Independent",
    "National",
    "Continental",
    "Nordic",
    "Québec",
    "São Paulo",
    "Zürich",
    "Bits & Bytes",
    "Frontier",
    "Cedar",
    "Granite",
    "Silver",
]
_PROVIDER_MASTHEADS = [
    "Daily",
    "Times",
    "Post",
    "Herald",
    "Tribune",
    "Gazette",
    "Journal",
    "Observer",
    "Chronicle",
    "Review",
    "Wire",
    "Report",
    "Insider",
    "Digest",
    "Monitor",
    "Ledger",
    "Dispatch",
    "Courier",
    "Sentinel",
    "Express",
    "News",
    "Today",
    "Weekly",
    "Record",
    "Standard",
]
_TLDS = ["com"] * 16 + ["net", "org", "co.uk", "io", "news", "de", "fr"]
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ASCII_FALLBACK = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe"})


def _ascii_fold(text: str) -> str:
    text = text.translate(_ASCII_FALLBACK)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def slugify(text: str) -> str:
    """Lower-case ASCII slug: accents folded, other non-alphanumerics -> '-'."""
    if not text.isascii():
        text = _ascii_fold(text)
    return _NON_ALNUM.sub("-", text.lower()).strip("-")


def _build_providers(n: int = 800) -> list[tuple[str, str]]:
    rng = random.Random(800)
    combos = [f"{p} {m}" for p in _PROVIDER_PREFIXES for m in _PROVIDER_MASTHEADS]
    rng.shuffle(combos)
    providers: list[tuple[str, str]] = []
    domains: set[str] = set()
    for name in combos:
        if len(providers) == n:
            break
        if rng.random() < 0.25:
            name = f"{name} {rng.randrange(2, 100)}"
        domain = f"{slugify(name).replace('-', '')}.{rng.choice(_TLDS)}"
        if domain in domains:
            continue
        domains.add(domain)
        providers.append((name, domain))
    assert len(providers) == n
    return providers


PROVIDERS: list[tuple[str, str]] = _build_providers()
_PROVIDER_CUM = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(PROVIDERS))))

CATEGORIES = ["news", "analysis", "opinion", "review", "feature"]
_CATEGORY_CUM = [50, 68, 81, 92, 100]
TYPES = ["article", "video", "podcast"]
_TYPE_CUM = [94, 98, 100]
_IMAGE_SIZES = [
    (1920, 1080),
    (1280, 720),
    (1200, 630),
    (1000, 600),
    (1024, 768),
    (800, 600),
    (640, 480),
    (600, 400),
    (300, 200),
    (1080, 1080),
]
_IMAGE_EXTS = ["jpg", "jpg", "jpg", "png", "webp"]
_UTM_SOURCES = ["rss", "feed", "newsletter", "twitter", "facebook"]

_EPOCH_START = 1546300800  # 2019-01-01T00:00:00Z
_MINUTES = (1793491140 - _EPOCH_START) // 60  # .. 2026-10-31T23:59:00Z

# --------------------------------------------------------------------------
# YAML scalar rendering
# --------------------------------------------------------------------------

_YAML_LINE_BREAKS = str.maketrans({"\u0085": "\\N", "\u2028": "\\L", "\u2029": "\\P"})


def dq(text: str) -> str:
    """Double-quoted YAML scalar (JSON escaping is valid YAML escaping).

    JSON leaves U+0085/U+2028/U+2029 raw, but YAML reads them as line breaks.
    """
    out = json.dumps(text, ensure_ascii=False)
    if not out.isascii():
        out = out.translate(_YAML_LINE_BREAKS)
    return out


def _plain_or_quoted(text: str) -> str:
    """Plain scalar if YAML loads it back unchanged as a string, else quoted."""
    for doc in (f"k: {text}\n", f"- {text}\n"):
        try:
            loaded = yaml.safe_load(doc)
        except yaml.YAMLError:
            return dq(text)
        value = loaded["k"] if isinstance(loaded, dict) else loaded[0]
        if value != text:
            return dq(text)
    return text


_TOPIC_LINES = [f"  - {_plain_or_quoted(t)}\n" for t in TOPICS]
_PROVIDER_BLOCK = [
    f"provider:\n  name: {_plain_or_quoted(n)}\n  domain: {_plain_or_quoted(d)}\n"
    for n, d in PROVIDERS
]
_RELATED_PROVIDER_BLOCK = [
    f"    provider:\n      name: {_plain_or_quoted(n)}\n      domain: {_plain_or_quoted(d)}\n"
    for n, d in PROVIDERS
]
for _v in CATEGORIES + TYPES:
    assert _plain_or_quoted(_v) == _v
del _v

# --------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------


def _words(rng: random.Random, k: int) -> list[str]:
    return rng.choices(VOCABULARY, cum_weights=_VOCAB_CUM, k=k)


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def _headline(rng: random.Random) -> str:
    words = _words(rng, rng.randint(5, 12))
    last = len(words) - 1
    out = [w if (w in _SMALL_WORDS and 0 < i < last) else _cap(w) for i, w in enumerate(words)]
    r = rng.random()
    if r < 0.04:
        out[0] = out[0] + "\u2019s"  # typographic apostrophe, as in the seed
    elif r < 0.07 and len(out) >= 6:
        out[2] = '"' + out[2]
        out[3] = out[3] + '"'
    if rng.random() < 0.10:
        out[0] = out[0] + ":"
        out[1] = _cap(out[1])
    title = " ".join(out)
    if rng.random() < 0.12:
        title += "?"
    return title


def _sentences(rng: random.Random, words: list[str], n_sentences: int) -> str:
    """Join words into n sentences (capitalised, ending in '.'), some commas."""
    n = len(words)
    cuts = sorted(rng.sample(range(3, n - 2), n_sentences - 1)) if n_sentences > 1 else []
    bounds = [0, *cuts, n]
    parts = []
    for a, b in itertools.pairwise(bounds):
        chunk = words[a:b]
        chunk[0] = _cap(chunk[0])
        if b - a > 7 and rng.random() < 0.35:
            j = rng.randrange(2, b - a - 2)
            chunk[j] = chunk[j] + ","
        parts.append(" ".join(chunk) + ".")
    return " ".join(parts)


def _excerpt(rng: random.Random) -> str:
    n = rng.randint(25, 60)
    return _sentences(rng, _words(rng, n), 1 + n // 25)


def _prose_paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(2, 6)):
        words = _words(rng, rng.randint(8, 22))
        words[0] = _cap(words[0])
        r = rng.random()
        if r < 0.05:
            j = rng.randrange(1, len(words))
            words[j] = f"**{words[j]}**"
        elif r < 0.08:
            j = rng.randrange(1, len(words) - 1)
            url = f"https://example.org/{words[j]}/{rng.randrange(10**6)}"
            words[j] = f"[{words[j]} {words[j + 1]}]({url})"
            del words[j + 1]
        sentences.append(" ".join(words) + ".")
    return " ".join(sentences)


def _body(rng: random.Random) -> str:
    n = rng.choices((0, 1, 2, 3, 4, 5), cum_weights=(25, 40, 55, 70, 85, 100))[0]
    paragraphs = []
    for _ in range(n):
        r = rng.random()
        if r < 0.12:
            paragraphs.append("## " + " ".join(_cap(w) for w in _words(rng, rng.randint(2, 6))))
        elif r < 0.22:
            items = [
                "- " + _cap(" ".join(_words(rng, rng.randint(3, 10))))
                for _ in range(rng.randint(3, 5))
            ]
            paragraphs.append("\n".join(items))
        else:
            paragraphs.append(_prose_paragraph(rng))
    return "\n\n".join(paragraphs)


def _timestamp(epoch: int) -> str:
    t = time.gmtime(epoch)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:00Z"


def _image(rng: random.Random, domain: str, yyyy: str, mm: str) -> tuple[str, int, int, bool]:
    width, height = rng.choice(_IMAGE_SIZES)
    url = (
        f"https://cdn.{domain}/media/{yyyy}/{mm}/"
        f"{rng.getrandbits(64):016x}.{rng.choice(_IMAGE_EXTS)}"
    )
    return url, width, height, rng.random() < 0.75


# --------------------------------------------------------------------------
# Articles
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """The fields of an article that other articles' ``related`` items copy."""

    index: int
    title: str
    excerpt: str
    epoch: int
    published_date_time: str
    provider: int  # index into PROVIDERS
    type: str
    quality: int
    web_url: str
    original_url: str
    images: tuple[tuple[str, int, int, bool], ...]


def article_id(index: int) -> str:
    """The article id, which is also the file stem: ``a0000042``."""
    return f"a{index:07d}"


def article_relpath(index: int) -> str:
    """Path of an article relative to OUT_DIR: ``000/a0000042.md``."""
    return f"{index // BUCKET_SIZE:03d}/{article_id(index)}.md"


def _article_rng(seed: int, index: int) -> random.Random:
    return random.Random(seed * SEED_STRIDE + index)


def _meta_from(rng: random.Random, index: int) -> ArticleMeta:
    title = _headline(rng)
    excerpt = _excerpt(rng)
    epoch = _EPOCH_START + 60 * rng.randrange(_MINUTES + 1)
    stamp = _timestamp(epoch)
    yyyy, mm = stamp[:4], stamp[5:7]
    provider = bisect(_PROVIDER_CUM, rng.random() * _PROVIDER_CUM[-1])
    domain = PROVIDERS[provider][1]
    kind = TYPES[bisect(_TYPE_CUM, rng.random() * 100)]
    quality = round(100 * rng.betavariate(2, 2))
    web_url = f"https://{domain}/{yyyy}/{mm}/{slugify(title)}-{index}"
    r = rng.random()
    if r < 0.85:
        original_url = web_url
    elif r < 0.92:
        original_url = web_url.replace("https://", "https://amp.", 1)
    else:
        original_url = f"{web_url}?utm_source={rng.choice(_UTM_SOURCES)}&utm_medium=syndication"
    n_images = rng.choices((0, 1, 2, 3), cum_weights=(25, 75, 90, 100))[0]
    images = tuple(_image(rng, domain, yyyy, mm) for _ in range(n_images))
    return ArticleMeta(
        index,
        title,
        excerpt,
        epoch,
        stamp,
        provider,
        kind,
        quality,
        web_url,
        original_url,
        images,
    )


def article_meta(seed: int, index: int) -> ArticleMeta:
    """Recompute the metadata of article ``index`` without generating the rest."""
    return _meta_from(_article_rng(seed, index), index)


def _images_yaml(images: tuple[tuple[str, int, int, bool], ...], indent: str) -> str:
    return "".join(
        f"{indent}- url: {dq(url)}\n"
        f"{indent}  width: {w}\n"
        f"{indent}  height: {h}\n"
        f"{indent}  isCached: {'true' if cached else 'false'}\n"
        for url, w, h, cached in images
    )


def _related_yaml(rng: random.Random, seed: int, meta: ArticleMeta, count: int) -> str:
    n = rng.choices((0, 1, 2, 3, 4), cum_weights=(20, 45, 70, 88, 100))[0]
    if n == 0:
        return "related: []\n"
    out = ["related:\n"]
    used = {meta.index}
    for _ in range(n):
        target = None
        if rng.random() < 0.4 and count > len(used):
            while True:
                target = rng.randrange(count)
                if target not in used:
                    break
            used.add(target)
        if target is not None:
            other = article_meta(seed, target)
            title, excerpt, stamp = other.title, other.excerpt, other.published_date_time
            url, kind, provider, quality = other.web_url, other.type, other.provider, other.quality
            images = other.images[:1]
        else:
            title = _headline(rng)
            excerpt = _excerpt(rng)
            epoch = meta.epoch - 60 * rng.randrange(14 * 24 * 60)
            stamp = _timestamp(max(epoch, _EPOCH_START))
            provider = bisect(_PROVIDER_CUM, rng.random() * _PROVIDER_CUM[-1])
            domain = PROVIDERS[provider][1]
            url = f"https://www.{domain}/news/{slugify(title)}/{rng.randrange(10**5, 10**7)}"
            kind = TYPES[bisect(_TYPE_CUM, rng.random() * 100)]
            quality = round(100 * rng.betavariate(2, 2))
            images = (_image(rng, domain, stamp[:4], stamp[5:7]),) if rng.random() < 0.4 else ()
        out.append(
            f"  - title: {dq(title)}\n"
            f"    excerpt: {dq(excerpt)}\n"
            f"    publishedDateTime: {stamp}\n"
            f"    webUrl: {dq(url)}\n"
            f"    type: {kind}\n"
            f"{_RELATED_PROVIDER_BLOCK[provider]}"
            f"    quality: {quality}\n"
        )
        if images:
            out.append("    images:\n" + _images_yaml(images, "      "))
    return "".join(out)


def render_article(seed: int, index: int, count: int) -> str:
    """The full text of article ``index`` of a ``count``-article corpus."""
    rng = _article_rng(seed, index)
    meta = _meta_from(rng, index)
    category = CATEGORIES[bisect(_CATEGORY_CUM, rng.random() * 100)]
    heat = int(101 * rng.random() ** 3)
    published = rng.random() < 0.8
    n_topics = rng.choices((1, 2, 3, 4), cum_weights=(35, 70, 90, 100))[0]
    topics: list[int] = []
    while len(topics) < n_topics:
        t = bisect(_TOPIC_CUM, rng.random() * _TOPIC_CUM[-1])
        if t not in topics:
            topics.append(t)
    images = "images:\n" + _images_yaml(meta.images, "  ") if meta.images else "images: []\n"
    related = _related_yaml(rng, seed, meta, count)
    secured = (
        base64.b64encode(rng.randbytes(rng.randint(280, 320))).decode()
        + ";"
        + base64.b64encode(rng.randbytes(16)).decode()
    )
    body = _body(rng)
    return (
        "---\n"
        f"category: {category}\n"
        f"title: {dq(meta.title)}\n"
        f"excerpt: {dq(meta.excerpt)}\n"
        f"publishedDateTime: {meta.published_date_time}\n"
        f"originalUrl: {dq(meta.original_url)}\n"
        f"webUrl: {dq(meta.web_url)}\n"
        f"type: {meta.type}\n"
        f"quality: {meta.quality}\n"
        f"heat: {heat}\n"
        f"published: {'true' if published else 'false'}\n"
        "\n"
        f"{_PROVIDER_BLOCK[meta.provider]}"
        "\n"
        "topics:\n"
        f"{''.join(_TOPIC_LINES[t] for t in topics)}"
        "\n"
        f"{images}"
        "\n"
        f"{related}"
        "\n"
        f"secured: {dq(secured)}\n"
        "---\n"
        "\n"
        f"{body + chr(10) if body else ''}"
    )


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _write_bucket(job: tuple[str, int, int, int, int]) -> int:
    out_dir, seed, count, start, stop = job
    folder = Path(out_dir, f"{start // BUCKET_SIZE:03d}")
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for index in range(start, stop):
        text = render_article(seed, index, count)
        with open(folder / f"{article_id(index)}.md", "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        written += len(text.encode("utf-8"))
    return written


def generate(out_dir: Path, count: int, seed: int = 1, jobs: int | None = None) -> int:
    """Write the corpus into ``out_dir``; return the number of bytes written.

    Does not check whether ``out_dir`` is empty (see :func:`main`).
    """
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count must be in 0..{MAX_COUNT}")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    out_dir.mkdir(parents=True, exist_ok=True)
    chunks = [
        (str(out_dir), seed, count, start, min(start + BUCKET_SIZE, count))
        for start in range(0, count, BUCKET_SIZE)
    ]
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(chunks) <= 1:
        return sum(map(_write_bucket, chunks))
    with multiprocessing.get_context().Pool(min(jobs, len(chunks))) as pool:
        return sum(pool.imap_unordered(_write_bucket, chunks))


def check_target(out_dir: Path, force: bool) -> None:
    """``ValueError`` unless ``out_dir`` may be written: missing, empty, or ``force``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise ValueError(f"{out_dir} is not empty (use --force to overwrite generated files)")


def generate_reported(out_dir: Path, count: int, seed: int, jobs: int | None) -> str:
    """Write the corpus and say what was written, how big and how fast (one line)."""
    started = time.perf_counter()
    size = generate(out_dir, count, seed, jobs)
    elapsed = time.perf_counter() - started
    return f"wrote {count} articles ({size / 1e6:.1f} MB) to {out_dir} in {elapsed:.1f}s"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``bench/generate.py``); returns the process exit status."""
    parser = argparse.ArgumentParser(
        description="Generate a deterministic synthetic article corpus.",
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--count", type=int, required=True, help=f"articles, 0..{MAX_COUNT}")
    parser.add_argument("--seed", type=int, default=1, help="non-negative seed (default 1)")
    parser.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: CPU count)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty OUT_DIR (overwrites generated names only)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.count <= MAX_COUNT:
        parser.error(f"--count must be in 0..{MAX_COUNT}")
    if args.seed < 0:
        parser.error("--seed must be >= 0")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be >= 1")
    try:
        check_target(args.out_dir, args.force)
    except ValueError as exc:
        parser.error(str(exc))
    print(generate_reported(args.out_dir, args.count, args.seed, args.jobs), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
