"""What rendering ``bodyHtml`` adds to reading one file at index build.

Times, on one core, over the first N files of a generated corpus: the whole per-file
read as the index build does it (``parse_article``: front matter, validation, body
rendering, serialization) and the rendering alone (``body_html`` on the same bodies),
each the best of a few rounds. Prints the per-file means and the share of rendering.

Usage::

    .venv/bin/python bench/render_cost.py /tmp/feeds100k [--files 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.content.render import body_html  # noqa: E402
from api.content.seeds import _front_matter, parse_article  # noqa: E402


def best(rounds: int, work) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    paths = sorted(args.corpus.rglob("*.md"))[: args.files]
    texts = [(p.read_text("utf-8"), p.name) for p in paths]
    bodies = [_front_matter(text)[1] for text, _ in texts]
    n = len(texts)
    whole = best(args.rounds, lambda: [parse_article(text, name) for text, name in texts])
    render = best(args.rounds, lambda: [body_html(body) for body in bodies])
    chars = sum(map(len, bodies)) / n
    print(f"{n} files, mean body {chars:,.0f} characters; best of {args.rounds} rounds, one core")
    print(f"per file, whole read (parse, validate, render, serialize): {whole / n * 1e6:,.0f} µs")
    print(f"per file, bodyHtml alone (markdown-it-py + nh3): {render / n * 1e6:,.0f} µs")
    print(f"rendering's share of the read: {render / whole:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
