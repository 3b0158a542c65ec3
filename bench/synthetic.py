"""Synthetic articles and pages shaped like the site's (benchmarks only; seeded)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from ehz_scraper.items import ArticleCapture, PageFetch

# Common English words first: a Zipf draw over this list gives realistic word frequencies,
# so "the", "city" and "Hangzhou" match most articles, like the real corpus.
_COMMON = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "on",
    "with",
    "as",
    "by",
    "was",
    "at",
    "from",
    "it",
    "be",
    "has",
    "have",
    "are",
    "its",
    "this",
    "Hangzhou",
    "city",
    "Zhejiang",
    "province",
    "China",
    "development",
    "new",
    "year",
    "government",
    "people",
    "will",
    "district",
    "said",
    "also",
    "more",
    "than",
    "which",
    "industry",
    "digital",
    "economy",
    "an",
    "international",
    "culture",
    "project",
    "companies",
    "billion",
    "yuan",
    "percent",
    "Asian",
    "Games",
    "West",
    "Lake",
    "local",
    "residents",
    "services",
    "technology",
    "innovation",
    "enterprises",
    "investment",
    "trade",
    "market",
    "public",
    "cooperation",
    "tourism",
    "event",
    "first",
    "support",
    "urban",
    "high",
    "construction",
    "green",
    "activities",
    "program",
    "center",
    "national",
]
_RARE_STEMS = [
    "binjiang",
    "xiaoshan",
    "yuhang",
    "fuyang",
    "linan",
    "tonglu",
    "chunan",
    "jiande",
    "gongshu",
    "shangcheng",
    "xihu",
    "qiantang",
    "linping",
    "cloud",
    "town",
    "biopharma",
    "silk",
    "tea",
    "longjing",
    "grand",
    "canal",
    "liangzhu",
    "alibaba",
    "netease",
    "hikvision",
    "geely",
    "wahaha",
    "xixi",
    "wetland",
    "lingyin",
    "temple",
    "hefang",
    "street",
    "museum",
    "festival",
    "marathon",
    "metro",
    "airport",
    "railway",
    "hospital",
    "school",
    "university",
    "library",
]
SECTIONS = ("Latest", "Government", "Business", "Travel", "Culture", "Living")
NAV = "".join(f'<li><a href="/node_{7040 + i}.htm">{s}</a></li>' for i, s in enumerate(SECTIONS))


_SYLLABLES = [
    "ba",
    "ce",
    "di",
    "fo",
    "gu",
    "ha",
    "ji",
    "ke",
    "lo",
    "mu",
    "na",
    "pe",
    "qi",
    "ro",
    "su",
    "ta",
    "vi",
    "wo",
    "xu",
    "ye",
    "zo",
    "an",
    "en",
    "in",
    "on",
    "un",
]


def _vocabulary() -> tuple[list[str], list[float]]:
    # ~20,000 word forms with Zipf weights: the site's common words at the top ranks,
    # then place names, then invented words (rare terms as in a real news corpus).
    rng = random.Random(3)
    invented = set()
    while len(invented) < 20_000:
        invented.add("".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))))
    vocab = _COMMON + _RARE_STEMS + sorted(invented)
    rng.shuffle(vocab[len(_COMMON) :])
    weights = [1.0 / (rank + 1) for rank in range(len(vocab))]
    return vocab, weights


VOCAB, _WEIGHTS = _vocabulary()
_CUM = list(__import__("itertools").accumulate(_WEIGHTS))


def _words(rng: random.Random, n: int) -> list[str]:
    return rng.choices(VOCAB, cum_weights=_CUM, k=n)


def sentence(rng: random.Random, n: int | None = None) -> str:
    words = _words(rng, n or rng.randint(12, 30))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))


def record(article_id: int, rng: random.Random) -> dict:
    """A record with the contract's fields, about 400-900 words of body text."""
    # About 12 articles a day and ids that grow with time, as on the site.
    day = date(2003, 1, 1) + timedelta(days=article_id // 12)
    url = f"https://www.ehangzhou.gov.cn/{day:%Y-%m}/{day:%d}/c_{article_id}.htm"
    sections = []
    for i in range(rng.randint(1, 3)):
        heading = None if i == 0 else sentence(rng, rng.randint(4, 8)).rstrip(".")
        sections.append(
            {"heading": heading, "paragraphs": [paragraph(rng) for _ in range(rng.randint(2, 5))]}
        )
    body = "\n\n".join(
        "\n\n".join(([s["heading"]] if s["heading"] else []) + s["paragraphs"]) for s in sections
    )
    section = rng.choice(SECTIONS)
    return {
        "article_id": article_id,
        "url": url,
        "page_urls": [url],
        "page_count": 1,
        "title": sentence(rng, rng.randint(5, 11)).rstrip("."),
        "date": day.isoformat(),
        "date_text": f"Updated: {day:%Y-%m-%d}",
        "source": "www.ehangzhou.gov.cn",
        "byline": None,
        "section": section,
        "breadcrumb": ["Home", section],
        "sections": sections,
        "images": [],
        "body_text": body,
        "extraction": {"method": "template", "warnings": []},
    }


def _chrome_links(rng: random.Random, n: int) -> str:
    # Related/most-read widgets: links to other articles with realistic titles.
    items = []
    for _ in range(n):
        aid = rng.randrange(200000, 300000)
        items.append(
            f'<li><a href="../../2025-0{rng.randint(1, 9)}/1{rng.randint(0, 9)}/c_{aid}.htm" '
            f'target="_blank">{sentence(rng, rng.randint(5, 9)).rstrip(".")}</a></li>'
        )
    return "\n".join(items)


HEADER = (
    "<!DOCTYPE html><html><head>"
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'
    "<title>{title}</title>"
    '<meta name="keywords" content="Hangzhou,{title}"/><meta name="description" content="{title}"/>'
    '<link rel="stylesheet" href="/images/ehz2019/css/common.css"/>'
    '<script src="/images/ehz2019/js/jquery.min.js"></script>'
    "<script>var _hmt = _hmt || [];(function() {{var hm = document.createElement('script');"
    "hm.src = 'https://hm.baidu.com/hm.js?6a4b1f0f1c0d9b5e';var s = document.getElementsByTagName"
    "('script')[0]; s.parentNode.insertBefore(hm, s);}})();</script>"
    '</head><body><div class="header"><div class="top"><a href="/" class="logo">'
    '<img src="/images/ehz2019/logo.png" alt="eHangzhou"/></a>'
    '<form class="search" action="https://www.ehangzhou.gov.cn/search.htm">'
    '<input name="q" placeholder="Search"/></form></div>'
    '<ul class="nav">{nav}</ul></div>\n'
)
FOOTER = (
    '<div class="footer"><div class="links">{links}</div>'
    "<p>Copyright &copy; The Hangzhou Municipal People's Government. All rights reserved. "
    "Presented by China Daily.</p><p>浙ICP备05010009号 | 浙公网安备 33010302000205号</p>"
    '<p><a href="/about.htm">About us</a> | <a href="/contact.htm">Contact us</a></p>'
    "</div></body></html>"
)


def page_html(rec: dict, rng: random.Random) -> bytes:
    """A 35-60 KB article page: the record's body inside the site's repeated chrome."""
    title = rec["title"]
    body = "\n".join(
        (f"<p><strong>{s['heading']}</strong></p>\n" if s["heading"] else "")
        + "\n".join(f"<p>{p}</p>" for p in s["paragraphs"])
        for s in rec["sections"]
    )
    # Site-wide link blocks are identical on every page (that is what a dictionary learns).
    footer_rng = random.Random(7)
    footer_links = " | ".join(
        f'<a href="https://www.{w}.gov.cn/" target="_blank">{w.title()} Government</a>'
        for w in [f"site{footer_rng.randrange(1000)}" for _ in range(250)]
    )
    parts = [
        HEADER.format(title=title, nav=NAV * 8),
        '<div class="main"><div class="bread"><a href="../../">Home</a>&gt; '
        f'<a href="../../node_7040.htm">{rec["section"]}</a></div>',
        f'<div class="con_title">{title}</div>',
        f'<div class="info">www.ehangzhou.gov.cn| {rec["date_text"]} '
        '<span class="fontsize"><a>L</a> <a>M</a> <a>S</a></span></div>',
        f'<div id="Content">\n{body}\n</div>',
        '<div class="share"><a class="weibo">Weibo</a><a class="wechat">WeChat</a></div>',
        f'<div class="related"><h3>Related</h3><ul>{_chrome_links(rng, 6)}</ul></div>',
        f'<div class="mostread"><h3>Most read</h3><ul>{_chrome_links(rng, 10)}</ul></div></div>',
        FOOTER.format(links=footer_links),
    ]
    html = "\n".join(parts)
    # Pad with more site-wide chrome until the page is in the realistic 35-60 KB range.
    target = rng.randint(35_000, 60_000)
    pad_rng = random.Random(11)
    filler = []
    while len(html) + sum(len(f) for f in filler) < target:
        filler.append(
            f'<div class="ad"><a href="/special/{pad_rng.randrange(100)}.htm">'
            f"{' '.join(pad_rng.choices(_COMMON, k=12))}</a></div>"
        )
    return html.replace('<div class="footer">', "".join(filler) + '<div class="footer">').encode()


def capture(article_id: int, rng: random.Random) -> tuple[ArticleCapture, dict]:
    rec = record(article_id, rng)
    now = datetime(2026, 11, 26, 7, 0, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    page = PageFetch(
        url=rec["url"],
        page=1,
        status=200,
        headers=[("Content-Type", "text/html; charset=utf-8"), ("ETag", f'"{article_id:x}"')],
        body=page_html(rec, rng),
        fetched_at=now,
    )
    return ArticleCapture(article_id=article_id, url=rec["url"], pages=[page]), rec
