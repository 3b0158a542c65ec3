"""A synthetic, deterministic copy of www.ehangzhou.gov.cn in the modelled markup, with truth.

The markup follows ../shared/site-model.md (header/footer chrome, breadcrumb, `con_title`, info
line, `#Content`, article and listing pagers) and mixes the variants it lists (caption, credit,
heading and info-line forms, entities, odd spaces, spacers, scripts, share widgets, `Editor:`
trailers). Every page is 35-60 KB. Each article's expected record (the fields of the record
contract, `extraction` left out) and each page's paragraphs, headings and captions are written
to `truth.jsonl`, so extractors can be scored exactly.

One generator serves every benchmark: `generate_site` writes a servable folder;
`iter_articles` yields articles with their HTML in memory; `iter_records` yields only the
expected records (cheap enough for a 100,000-article archive); `to_capture` turns an article into
the `ArticleCapture` item a spider would yield. The page templates (`render_article_page`,
`render_listing_page`, `render_home_page`) also render the test site
(tests/fixtures/site/build_site.py) with that site's own chrome and fragments. Everything is a
function of (seed, index), so article i is the same whichever function produced it and however
many articles are asked for.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

GENERATOR_VERSION = 1
DEFAULT_SEED = 20261126
SITE = "https://www.ehangzhou.gov.cn"

# (name, node number): the navigation's sections; every article is listed in Latest and in the
# section it is filed under (so a whole-site crawl sees most articles twice).
SECTIONS: list[tuple[str, int]] = [
    ("Latest", 7040),
    ("Government", 7041),
    ("Business", 7042),
    ("Travel", 7043),
    ("Culture", 7044),
    ("Living", 7045),
    ("Events", 7046),
]
FILED_WEIGHTS = [40, 12, 12, 9, 9, 9, 9]
FIRST_DAY = date(2003, 1, 1)
ARTICLES_PER_DAY = 12
FIRST_ID = 240000

# Page sizes, as on the live CMS: the chrome is most of the bytes.
PAGE_MIN, PAGE_MAX = 35_000, 60_000
MAX_SIDE_LINKS = 30

_WORDS = """
the of and to in a for on is that with as by at from city its has was be are will it this
Hangzhou have more than an which also year their new been Zhejiang province development
people government over local China said its district percent about were international
digital economy project West Lake center area service industry companies enterprises culture
tourism residents visitors public first million billion yuan high-quality construction
innovation technology support cooperation market event Asian Games sports environment green
ecological water river canal tea Longjing heritage museum exhibition festival traditional
modern smart platform data internet e-commerce Alibaba startup talent education university
students school hospital health medical care elderly community village rural town transport
metro line station airport railway high-speed road bridge carbon energy solar electric
vehicles manufacturing investment trade export import foreign policy plan measures officials
meeting conference forum summit launched opened held according report growth increase total
number since during under program training youth families housing park garden forest
mountain island Qiandao Fuyang Lin'an Xiaoshan Yuhang Binjiang Shangcheng Gongshu Xihu
Linping Qiantang Tonglu Chun'an Jiande Grand Canal Liangzhu ancient civilization
archaeological site silk porcelain craft art music film theater library reading books
calligraphy painting cuisine restaurant food market night lights spring summer autumn winter
weather rain snow flowers lotus osmanthus plum blossom volunteers services online app mobile
payment cloud computing artificial intelligence chips robots laboratory research scientists
patents standards quality safety emergency police court law rights consumers prices jobs
employment income wages retail sales consumption cross-border logistics port shipping
warehouse express delivery orders platforms live streaming creators designers fashion
textile chemical pharmaceutical biomedicine agriculture farmers harvest rice fishing
orchards tea-picking homestays hiking cycling marathon football basketball swimming athletes
medals stadium venue opening ceremony
""".split()  # noqa: SIM905 (prose reads better than a list)

_NAMES = [
    "Zhang Yi",
    "Li Wei",
    "Wang Fang",
    "Chen Jie",
    "Liu Yang",
    "Zhou Min",
    "Xu Lin",
    "Sun Hao",
    "Hu Jing",
    "Zhu Tao",
    "Gao Yan",
    "Lin Xiao",
    "He Qian",
    "Ma Lei",
    "Guo Rui",
    "Shen Yue",
]
_SOURCES = ["www.ehangzhou.gov.cn", "chinadaily.com.cn", "Xinhua", "hangzhou.com.cn", "zjol.com.cn"]
_CREDITS = [
    "Photo/zjol.com.cn",
    "Photo by {name}/hangzhou.com.cn",
    "Photo provided to ehangzhou.gov.cn",
    "Photo/Xinhua",
    "Photo/chinadaily.com.cn",
    "Photo by {name}/ehangzhou.gov.cn",
]
_PLACES_ZH = [
    "West Lake (西湖)",
    "the Grand Canal (大运河)",
    "Lingyin Temple (灵隐寺)",
    "Xixi Wetland (西溪湿地)",
    "Hefang Street (河坊街)",
    "Liangzhu (良渚)",
]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

_SYLLABLES = "ba ce di fo gu ha ji ke lo mu na pe qi ro su ta vi wo xu ye zo an en in on un"


def _invented_words(n: int) -> list[str]:
    # The long tail of a news corpus (names, places, rare terms): invented but stable words,
    # so full-text search sees realistic posting-list lengths, not only common words.
    rng = random.Random(3)
    syllables = _SYLLABLES.split()
    out: dict[str, None] = {}
    while len(out) < n:
        out["".join(rng.choices(syllables, k=rng.randint(2, 4)))] = None
    return list(out)


_VOCAB = _WORDS + [w for w in _invented_words(20_000) if w not in set(_WORDS)]
# Zipf-like weights over the ranks: a few very common words (the hard case for ranked search),
# then a tail of rare ones.
_CUM_WEIGHTS = list(accumulate(1.0 / (rank + 2.7) for rank in range(len(_VOCAB))))


@dataclass
class ArticleMeta:
    """What listings, sidebars and the home page need to know of an article."""

    index: int
    article_id: int
    day: date
    section: str
    title: str
    page_count: int

    @property
    def folder(self) -> str:
        return f"{self.day:%Y-%m}/{self.day:%d}"

    def page_path(self, page: int) -> str:
        suffix = "" if page == 1 else f"_{page}"
        return f"{self.folder}/c_{self.article_id}{suffix}.htm"


@dataclass
class SyntheticArticle:
    """One generated article: its pages (path, HTML bytes) and its expected record."""

    meta: ArticleMeta
    pages: list[tuple[str, bytes]]
    truth: dict


@dataclass
class Site:
    """A generated site folder and what is in it."""

    root: Path
    seed: int
    n_articles: int
    article_pages: int
    listing_pages: int
    multi_page_articles: int
    total_bytes: int
    urls: list[str]  # every path a whole-site crawl fetches ('' is the home page)
    seconds: float
    reused: bool = False
    page_sizes: list[int] = field(default_factory=list)

    @property
    def truth_path(self) -> Path:
        return self.root / "truth.jsonl"

    def load_truth(self) -> dict[int, dict]:
        """The expected record of every article, by article id."""
        out: dict[int, dict] = {}
        with self.truth_path.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                out[rec["article_id"]] = rec
        return out


def _rng(seed: int, index: int, salt: int = 0) -> random.Random:
    return random.Random(seed * 1_000_003 + index * 7 + salt)


def _words(rng: random.Random, n: int) -> list[str]:
    return rng.choices(_VOCAB, cum_weights=_CUM_WEIGHTS, k=n)


def _sentence(rng: random.Random, lo: int = 8, hi: int = 24) -> str:
    words = _words(rng, rng.randint(lo, hi))
    roll = rng.random()
    if roll < 0.06:
        words.insert(rng.randrange(len(words)), "Hangzhou\u2019s")
    elif roll < 0.09:
        words.insert(rng.randrange(len(words)), rng.choice(_PLACES_ZH))
    elif roll < 0.12:
        words.insert(rng.randrange(len(words)), f"{rng.randint(2, 980)},{rng.randint(100, 999)}")
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))


def _title(seed: int, index: int) -> str:
    rng = _rng(seed, index, 1)
    words = [w for w in _words(rng, rng.randint(6, 12))]
    text = " ".join(words)
    return text[0].upper() + text[1:]


@lru_cache(maxsize=1 << 17)
def article_meta(index: int, seed: int = DEFAULT_SEED) -> ArticleMeta:
    """Id, date, section, title and page count of article `index` (0 is the oldest)."""
    rng = _rng(seed, index, 2)
    day = FIRST_DAY + timedelta(days=index // ARTICLES_PER_DAY)
    section = rng.choices([s for s, _ in SECTIONS], weights=FILED_WEIGHTS)[0]
    # 20% multi-page, decided by index so that the share is exact on any run length.
    pages = 1 if index % 5 else rng.choice([2, 2, 2, 3, 3, 4])
    return ArticleMeta(
        index=index,
        article_id=FIRST_ID + index * 3 + (index * 7) % 3,
        day=day,
        section=section,
        title=_title(seed, index),
        page_count=pages,
    )


# ---------------------------------------------------------------------------------------
# Text rendering: the truth is normalised text; the HTML spells it in the site's odd ways.


def _render_text(text: str, rng: random.Random) -> str:
    """HTML for normalised `text`: escaped, sometimes with entities, NBSPs and odd spaces."""
    out = html.escape(text, quote=False)
    roll = rng.random()
    if roll < 0.25:
        out = out.replace("\u2019", "&rsquo;")
    if 0.25 <= roll < 0.40 and " " in out:
        # A non-breaking space (entity or raw) or a full-width space where a space was.
        pos = out.index(" ", len(out) // 3) if " " in out[len(out) // 3 :] else out.index(" ")
        out = (
            out[:pos]
            + rng.choice(["&nbsp;", "\u00a0", "\u3000", " &nbsp;", "\n  "])
            + out[pos + 1 :]
        )
    return out


# ---------------------------------------------------------------------------------------
# Article body: a list of blocks, each rendered in one of the modelled variants.


@dataclass
class _Block:
    kind: str  # "p", "h", "img"
    text: str = ""  # paragraph or heading text
    lines: list[str] = field(default_factory=list)  # a <br/>-separated paragraph
    lead: str | None = None  # a bold lead-in phrase (still a body paragraph)
    img: dict | None = None


def _body_blocks(rng: random.Random, meta: ArticleMeta) -> list[_Block]:
    blocks: list[_Block] = []
    n_sections = rng.randint(1, 4) + (meta.page_count - 1)
    n_images = rng.choice([0, 1, 1, 1, 2, 2, 3])
    img_slots = set(rng.sample(range(1, 12), k=n_images))
    k = 0
    for s in range(n_sections):
        if s > 0:
            blocks.append(_Block("h", text=_sentence(rng, 4, 9).rstrip(".")))
        for _ in range(rng.randint(2, 5)):
            roll = rng.random()
            if roll < 0.08:
                blocks.append(_Block("p", lines=[_sentence(rng) for _ in range(rng.randint(2, 3))]))
            elif roll < 0.16:
                lead = _sentence(rng, 2, 4).rstrip(".") + ":"
                blocks.append(_Block("p", text=f"{lead} {_paragraph(rng)}", lead=lead))
            else:
                blocks.append(_Block("p", text=_paragraph(rng)))
            k += 1
            if k in img_slots:
                blocks.append(_Block("img", img=_image(rng, meta, len(blocks))))
    return blocks


def _image(rng: random.Random, meta: ArticleMeta, n: int) -> dict:
    stamp = f"{meta.day:%Y%m%d}"
    digits = 1_400_000_000_000 + meta.article_id * 1000 + n
    ext = rng.choice(["jpg", "jpg", "jpg", "png"])
    form = rng.choice(["after", "after", "figure", "br", "none"])
    caption = None if form == "none" else _sentence(rng, 5, 14)
    credit = None
    if caption is not None and rng.random() < 0.8:
        credit = rng.choice(_CREDITS).format(name=rng.choice(_NAMES))
    alt = rng.choice([None, None, "", _sentence(rng, 3, 6).rstrip(".")])
    return {
        "path": f"img/attachement/{ext}/site48/{stamp}/{digits}.{ext}",
        "alt": alt or None,
        "alt_attr": alt,
        "caption": caption,
        "credit": credit,
        "form": form,
    }


def _render_block(b: _Block, rng: random.Random) -> str:
    if b.kind == "p":
        if b.lines:
            return "<p>" + "<br/>\n".join(_render_text(line, rng) for line in b.lines) + "</p>"
        if b.lead:
            rest = b.text[len(b.lead) + 1 :]
            strong = rng.choice(["strong", "b"])
            return (
                f"<p><{strong}>{_render_text(b.lead, rng)}</{strong}> {_render_text(rest, rng)}</p>"
            )
        return f"<p>{_render_text(b.text, rng)}</p>"
    if b.kind == "h":
        text = _render_text(b.text, rng)
        form = rng.choice(["strong", "strong", "b", "h2", "h3"])
        if form in ("h2", "h3"):
            return f"<{form}>{text}</{form}>"
        return f"<p><{form}>{text}</{form}></p>"
    img = b.img or {}
    alt = "" if img["alt_attr"] is None else f' alt="{html.escape(img["alt_attr"])}"'
    tag = f'<img src="../../{img["path"]}"{alt} border="0" />'
    cap = ""
    if img["caption"] is not None:
        cap = _render_text(img["caption"], rng)
        if img["credit"]:
            cap += f" [{html.escape(img['credit'], quote=False)}]"
    center = ' style="text-align: center;"'
    if img["form"] == "after":
        return f"<p{center}>{tag}</p>\n<p{center}>{cap}</p>"
    if img["form"] == "figure":
        return f"<figure>{tag}<figcaption>{cap}</figcaption></figure>"
    if img["form"] == "br":
        return f"<p{center}>{tag}<br/>{cap}</p>"
    return f"<p{center}>{tag}</p>"


# ---------------------------------------------------------------------------------------
# Page templates: the skeleton of every page, here and in tests/fixtures/site/build_site.py.
# Each site passes its own chrome and fragments (lists, pagers, sidebars); the page layout of
# the CMS (site-model.md) is written once, here.


@dataclass(frozen=True)
class Chrome:
    """What a site repeats on every page around the content."""

    head: str  # inside <head>, after the title and meta tags: stylesheets, scripts
    header: str  # first in <body>: logo, search, the navigation
    footer: str  # last in <body>


def render_page(chrome: Chrome, title: str, main: str, meta: str = "") -> str:
    """A whole document: `title` and `meta` (HTML already) in the head, `main` in the chrome."""
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n'
        f"<title>{title}</title>\n{meta}{chrome.head}</head>\n<body>\n"
        f"{chrome.header}{main}{chrome.footer}</body>\n</html>\n"
    )


def render_article_page(
    chrome: Chrome,
    *,
    title: str,
    section: str,
    node: int,
    info: str,
    content: str,
    pager: str = "",
    after: str = "",
    meta: str = "",
    prefix: str = "../../",
) -> str:
    """An article page: breadcrumb, `con_title`, info line, `#Content`, pager, then `after`.

    `title`, `info` and `content` are HTML; `after` (related lists, a sidebar) closes the main
    column; `prefix` leads from the page's folder back to the root.
    """
    main = (
        '<div class="main">\n<div class="left">\n'
        f'<div class="bread"><a href="{prefix}">Home</a>&gt; '
        f'<a href="{prefix}node_{node}.htm">{section}</a></div>\n'
        f'<div class="con_title">{title}</div>\n'
        f'<div class="info">{info}\n'
        '   <span class="fontsize"><a href="javascript:void(0)">L</a> '
        '<a href="javascript:void(0)">M</a> <a href="javascript:void(0)">S</a></span></div>\n'
        f'<div id="Content">\n{content}\n</div>\n'
        f"{pager}</div>\n{after}</div>\n"
    )
    return render_page(chrome, title, main, meta)


def render_listing_page(
    chrome: Chrome,
    *,
    title: str,
    name: str,
    listing: str,
    pager: str = "",
    side: str = "",
    meta: str = "",
) -> str:
    """A section's listing page: breadcrumb, the list (HTML), its pager, then a `side` column."""
    main = (
        '<div class="main">\n<div class="left">\n'
        f'<div class="bread"><a href="./">Home</a>&gt; {name}</div>\n'
        f"{listing}{pager}</div>\n</div>\n{side}"
    )
    return render_page(chrome, title, main, meta)


def render_home_page(chrome: Chrome, *, title: str, blocks: list[str], meta: str = "") -> str:
    """The home page: blocks of article links (HTML) under the chrome's navigation."""
    main = '<div class="main home">\n' + "\n".join(blocks) + "\n</div>\n"
    return render_page(chrome, title, main, meta)


# ---------------------------------------------------------------------------------------
# Chrome: identical on every page (what makes snapshot compression with a dictionary pay).


def _chrome_words(rng: random.Random, n: int) -> str:
    return " ".join(w.capitalize() for w in _words(rng, n))


def _build_chrome(prefix: str) -> Chrome:
    rng = random.Random(7)
    css = "\n".join(
        f".m{i} {{ margin: {i % 9}px auto; padding: {i % 5}px {i % 7}px; font: 14px/1.6 Arial, "
        f"'Microsoft YaHei', sans-serif; color: #{(i * 2654435761) % 0xFFFFFF:06x}; }}"
        for i in range(90)
    )
    js = "\n".join(
        f"  function w{i}(a, b) {{ var n = document.getElementById('w{i}'); "
        f"if (n) {{ n.className = a ? 'on' : 'off'; n.style.width = (b || {i}) + 'px'; }} }}"
        for i in range(45)
    )
    nav = "".join(
        f'<li><a href="{prefix}node_{node}.htm" target="_self">{name}</a></li>'
        for name, node in SECTIONS
    )
    head = (
        f'<link rel="stylesheet" href="{prefix}css/style.css" type="text/css" />\n'
        f'<style type="text/css">\n{css}\n</style>\n'
        f'<script type="text/javascript">\n{js}\n</script>\n'
    )
    header = (
        '<div class="topbar"><div class="m1"><a href="http://www.hangzhou.gov.cn/">中文</a> | '
        '<a href="http://www.gov.cn/">Gov.cn</a> | '
        '<a href="javascript:void(0)">Mobile</a></div></div>\n'
        f'<div class="header"><div class="logo"><a href="{prefix}">'
        f'<img src="{prefix}images/logo.png" '
        'alt="ehangzhou.gov.cn" /></a></div>\n'
        '<div class="search">'
        '<form action="http://search.ehangzhou.gov.cn/search" method="get">'
        '<input type="text" name="q" class="txt" /><input type="submit" value="Search" />'
        "</form></div>\n"
        f'<ul class="nav"><li><a href="{prefix}">Home</a></li>{nav}</ul></div>\n'
    )
    links = "".join(
        f'<li><a href="http://www.{w.lower()}.hangzhou.gov.cn/" target="_blank">'
        f"{_chrome_words(rng, 3)}</a></li>"
        for w in _words(rng, 110)
    )
    stats = "\n".join(
        f"  _stat.push(['_trackEvent', 'ch{i}', '{_chrome_words(rng, 2)}', {i}]);"
        for i in range(60)
    )
    footer = (
        '<div class="footer">\n<div class="links"><h4>Government Websites</h4><ul>'
        f"{links}</ul></div>\n"
        '<div class="copy"><p>Copyright &copy; The People\'s Government of Hangzhou Municipality. '
        "All rights reserved. Presented by China Daily.</p>\n"
        "<p>京ICP备13028878号-6 &nbsp; 浙公网安备 33010002000001号</p></div>\n"
        f'<script type="text/javascript">\n  var _stat = _stat || [];\n{stats}\n</script>\n'
        "</div>\n"
    )
    return Chrome(head=head, header=header, footer=footer)


@lru_cache(maxsize=4)
def site_chrome(prefix: str) -> Chrome:
    """This site's chrome for pages `prefix` away from the root ('' or '../../')."""
    return _build_chrome(prefix)


def _sidebar(seed: int, index: int, room: int, prefix: str, total: int) -> str:
    """Most-popular and related lists (links spiders must not follow), then a photo carousel's
    inline data, together about `room` bytes."""
    rng = _rng(seed, index, 9)
    n_links = max(4, min(MAX_SIDE_LINKS, room // 200))
    items = []
    for j in range(n_links):
        other = (index * 31 + j * 97 + 13) % max(total, 1)
        m = article_meta(other, seed)
        items.append(
            f'<li><a href="{prefix}{m.page_path(1)}" target="_blank">{html.escape(m.title)}</a>'
            f'<span class="date">{m.day.isoformat()}</span></li>'
        )
    half = len(items) // 2
    widget_pager = "".join(f'<a href="javascript:void(0)">{i}</a> ' for i in range(1, 5))
    links = (
        '<div class="side">\n<div class="hot"><h3>Most Popular</h3><ul>'
        + "\n".join(items[:half])
        + '</ul></div>\n<div class="related"><h3>Related Stories</h3><ul>'
        + "\n".join(items[half:])
        + "</ul></div>\n"
    )
    slides = []
    left = room - len(links.encode()) - 200
    k = 0
    while left > 0:
        k += 1
        entry = (
            f'  {{"title": "{_chrome_words(rng, rng.randint(4, 9))}", '
            f'"img": "{prefix}img/attachement/jpg/site48/2024{k % 12 + 1:02d}{k % 28 + 1:02d}/'
            f'{rng.randint(10**12, 10**13)}.jpg"}},'
        )
        slides.append(entry)
        left -= len(entry) + 1
    return (
        links
        + f'<div class="photos"><h3>Photos</h3><div class="scroll_pager">{widget_pager}</div>\n'
        + '<script type="text/javascript">\nvar slides = [\n'
        + "\n".join(slides)
        + "\n];\n</script></div>\n</div>\n"
    )


# ---------------------------------------------------------------------------------------
# Articles


def _info_line(rng: random.Random, meta: ArticleMeta) -> tuple[str, dict]:
    hh, mm = rng.randint(7, 22), rng.randint(0, 59)
    d = meta.day
    form = rng.choice(["long", "iso", "time", "byline"])
    source = "www.ehangzhou.gov.cn" if form == "long" else rng.choice(_SOURCES)
    byline = None
    if form == "long":
        printed = f"Updated: {_MONTHS[d.month - 1]} {d.day}, {d.year}"
        iso = d.isoformat()
    elif form == "iso":
        printed = f"Updated: {d.isoformat()}"
        iso = d.isoformat()
    else:
        printed = f"Updated: {d.isoformat()} {hh:02d}:{mm:02d}"
        iso = f"{d.isoformat()}T{hh:02d}:{mm:02d}:00+08:00"
    if form == "byline":
        byline = rng.choice(_NAMES)
        line = f"By {byline} | {source} | {printed}"
    else:
        line = f"{source}| {printed}"
    fields = {"date": iso, "date_text": printed, "source": source, "byline": byline}
    return line, fields


def _pager(meta: ArticleMeta, page: int, rng: random.Random) -> str:
    if meta.page_count == 1:
        return rng.choice(["", '<div id="div_currpage"></div>\n'])
    parts = []
    for k in range(1, meta.page_count + 1):
        name = f"c_{meta.article_id}{'' if k == 1 else f'_{k}'}.htm"
        if k == page:
            parts.append(f'<span class="pagestyle">{k}</span>')
        else:
            parts.append(f'<a class="pagestyle" href="{name}">{k}</a>')
    if page < meta.page_count:
        label = rng.choice(["&gt;", "Next"])
        parts.append(f'<a class="pagestyle" href="c_{meta.article_id}_{page + 1}.htm">{label}</a>')
    return '<div id="div_currpage">' + " ".join(parts) + "</div>\n"


def build_article(
    index: int, seed: int = DEFAULT_SEED, total: int | None = None
) -> SyntheticArticle:
    """Article `index`: every page's HTML and the expected record."""
    meta = article_meta(index, seed)
    total = total or index + 1
    rng = _rng(seed, index, 3)
    info_text, info = _info_line(rng, meta)
    blocks = _body_blocks(rng, meta)
    node = dict(SECTIONS)[meta.section]
    chrome = site_chrome("../../")
    title = html.escape(meta.title)
    keywords = ",".join(sorted(set(meta.title.split()[:6])))
    meta_tags = (
        f'<meta name="keywords" content="{html.escape(keywords)}" />\n'
        f'<meta name="description" content="{title}" />\n'
    )
    # Split the blocks over the pages; a page boundary may fall inside a section.
    n = meta.page_count
    cuts = [round(len(blocks) * k / n) for k in range(n + 1)]
    page_urls = [f"{SITE}/{meta.page_path(k)}" for k in range(1, n + 1)]
    pages: list[tuple[str, bytes]] = []
    page_truth: list[dict] = []
    sections: list[dict] = [{"heading": None, "paragraphs": []}]
    images: list[dict] = []
    editor = rng.choice(_NAMES)
    for k in range(1, n + 1):
        chunk = blocks[cuts[k - 1] : cuts[k]]
        body_parts = []
        p_paras: list[str] = []
        p_heads: list[str] = []
        p_caps: list[str] = []
        for i, b in enumerate(chunk):
            if rng.random() < 0.05:
                body_parts.append("<p>&nbsp;</p>")
            if i == 1 and rng.random() < 0.15:
                body_parts.append(
                    '<script type="text/javascript">var shareTitle = "'
                    + html.escape(meta.title)
                    + '"; if (window.share) { share.init(shareTitle); }</script>'
                )
            body_parts.append(_render_block(b, rng))
            if b.kind == "p":
                paras = b.lines or [b.text]
                p_paras.extend(paras)
                sections[-1]["paragraphs"].extend(paras)
            elif b.kind == "h":
                p_heads.append(b.text)
                sections.append({"heading": b.text, "paragraphs": []})
            else:
                img = b.img or {}
                if img["caption"] is not None:
                    p_caps.append(img["caption"])
                images.append(
                    {
                        "src": f"{SITE}/{img['path']}",
                        "alt": img["alt"],
                        "caption": img["caption"],
                        "credit": img["credit"],
                        "page": k,
                    }
                )
        if rng.random() < 0.2:
            body_parts.append(
                '<div class="share"><span>Share:</span> '
                '<a href="javascript:void(0)">WeChat</a> '
                '<a href="javascript:void(0)">Weibo</a> '
                '<a href="javascript:void(0)">Facebook</a></div>'
            )
        if k == n and rng.random() < 0.3:
            body_parts.append(f"<p>Editor: {editor}</p>")
        fields = dict(
            title=title,
            section=meta.section,
            node=node,
            info=html.escape(info_text, quote=False),
            content="\n".join(body_parts),
            pager=_pager(meta, k, rng),
            meta=meta_tags,
        )
        # The sidebar fills the page up to its target size.
        fixed = len(render_article_page(chrome, **fields).encode())
        target = _rng(seed, index, 100 + k).randint(PAGE_MIN + 1500, PAGE_MAX - 1500)
        side = _sidebar(seed, index * 8 + k, target - fixed, "../../", total)
        doc = render_article_page(chrome, **fields, after=side)
        pages.append((meta.page_path(k), doc.encode("utf-8")))
        page_truth.append(
            {
                "url": page_urls[k - 1],
                "paragraphs": p_paras,
                "headings": p_heads,
                "captions": p_caps,
            }
        )
    if not sections[0]["paragraphs"]:
        sections.pop(0)
    body_text = "\n\n".join(
        part
        for s in sections
        for part in ([s["heading"]] if s["heading"] else []) + s["paragraphs"]
    )
    truth = {
        "article_id": meta.article_id,
        "url": page_urls[0],
        "page_urls": page_urls,
        "page_count": n,
        "title": meta.title,
        **info,
        "section": meta.section,
        "breadcrumb": ["Home", meta.section],
        "sections": sections,
        "images": images,
        "body_text": body_text,
        "pages": page_truth,
    }
    return SyntheticArticle(meta=meta, pages=pages, truth=truth)


def iter_articles(n: int, seed: int = DEFAULT_SEED, start: int = 0) -> Iterator[SyntheticArticle]:
    """Articles start..n-1 with their HTML, oldest first."""
    for i in range(start, n):
        yield build_article(i, seed, total=n)


def iter_records(n: int, seed: int = DEFAULT_SEED) -> Iterator[dict]:
    """Expected records of articles 0..n-1 without rendering HTML (for large synthetic archives)."""
    for i in range(n):
        yield expected_record(i, seed)


def expected_record(i: int, seed: int = DEFAULT_SEED) -> dict:
    """The record of article `i` (images left out: they need the HTML), without rendering."""
    meta = article_meta(i, seed)
    rng = _rng(seed, i, 3)
    _, info = _info_line(rng, meta)
    sections: list[dict] = [{"heading": None, "paragraphs": []}]
    for b in _body_blocks(rng, meta):
        if b.kind == "p":
            sections[-1]["paragraphs"].extend(b.lines or [b.text])
        elif b.kind == "h":
            sections.append({"heading": b.text, "paragraphs": []})
    if not sections[0]["paragraphs"]:
        sections.pop(0)
    urls = [f"{SITE}/{meta.page_path(k)}" for k in range(1, meta.page_count + 1)]
    return {
        "article_id": meta.article_id,
        "url": urls[0],
        "page_urls": urls,
        "page_count": meta.page_count,
        "title": meta.title,
        **info,
        "section": meta.section,
        "breadcrumb": ["Home", meta.section],
        "sections": sections,
        "images": [],
        "body_text": "\n\n".join(
            p for s in sections for p in ([s["heading"]] if s["heading"] else []) + s["paragraphs"]
        ),
        "extraction": {"method": "template", "warnings": []},
    }


def to_capture(article: SyntheticArticle, fetched_at: str = "2026-11-26T00:00:00Z"):
    """The ArticleCapture a spider would yield for `article` (all pages fetched with 200)."""
    from ehz_scraper.items import ArticleCapture, PageFetch

    headers = [("Content-Type", "text/html; charset=utf-8")]
    pages = [
        PageFetch(
            url=f"{SITE}/{path}",
            page=k,
            status=200,
            headers=list(headers),
            body=body,
            fetched_at=fetched_at,
        )
        for k, (path, body) in enumerate(article.pages, start=1)
    ]
    return ArticleCapture(
        article_id=article.meta.article_id,
        url=pages[0].url,
        pages=pages,
        listing_section=article.meta.section,
    )


# ---------------------------------------------------------------------------------------
# Listings and the home page


def _listing_pager(node: int, page: int, last: int) -> str:
    def href(k: int) -> str:
        return f"node_{node}.htm" if k == 1 else f"node_{node}_{k}.htm"

    parts = []
    if page > 1:
        parts.append(f'<a class="pagestyle" href="{href(1)}">First</a>')
        parts.append(f'<a class="pagestyle" href="{href(page - 1)}">&lt; Prev</a>')
    for k in range(max(1, page - 4), min(last, page + 4) + 1):
        if k == page:
            parts.append(f'<span class="pagestyle">{k}</span>')
        else:
            parts.append(f'<a class="pagestyle" href="{href(k)}">{k}</a>')
    if page < last:
        parts.append(f'<a class="pagestyle" href="{href(page + 1)}">Next &gt;</a>')
        parts.append(f'<a class="pagestyle" href="{href(last)}">Last</a>')
    return '<div id="div_currpage">' + " ".join(parts) + "</div>\n"


def _listing_page(
    name: str, node: int, page: int, last: int, items: list[ArticleMeta], seed: int, total: int
) -> bytes:
    chrome = site_chrome("")
    lis = "\n".join(
        f'<li><a href="{m.page_path(1)}">{html.escape(m.title)}</a> '
        f'<span class="date">{m.day.isoformat()}</span></li>'
        for m in items
    )
    fields = dict(
        title=name,
        name=name,
        listing=f'<ul class="list">\n{lis}\n</ul>\n',
        pager=_listing_pager(node, page, last),
    )
    fixed = len(render_listing_page(chrome, **fields).encode())
    target = _rng(seed, node * 100_000 + page, 5).randint(PAGE_MIN + 1500, PAGE_MAX - 1500)
    side = _sidebar(seed, node * 100_000 + page, target - fixed, "", total)
    return render_listing_page(chrome, **fields, side=side).encode("utf-8")


def _home_page(metas: list[ArticleMeta], seed: int) -> bytes:
    blocks = []
    for name, node in SECTIONS:
        recent = [m for m in reversed(metas[-400:]) if name == "Latest" or m.section == name][:8]
        lis = "".join(
            f'<li><a href="{m.page_path(1)}">{html.escape(m.title)}</a></li>' for m in recent
        )
        blocks.append(
            f'<div class="block"><h2><a href="node_{node}.htm">{name}</a></h2><ul>{lis}</ul></div>'
        )
    return render_home_page(site_chrome(""), title="ehangzhou.gov.cn", blocks=blocks).encode()


# ---------------------------------------------------------------------------------------
# The whole site on disk


def source_hash() -> str:
    """A digest of this generator's code: cached outputs are stale when it changes."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def _manifest_key(n: int, seed: int) -> dict:
    return {
        "version": GENERATOR_VERSION,
        "n_articles": n,
        "seed": seed,
        "source": source_hash(),
    }


def generate_site(
    root: Path,
    n_articles: int = 5000,
    *,
    seed: int = DEFAULT_SEED,
    listing_size: int = 20,
    reuse: bool = True,
) -> Site:
    """Write the site under `root` (reused when already generated with the same parameters)."""
    root = Path(root)
    manifest = root / "manifest.json"
    key = _manifest_key(n_articles, seed)
    if reuse and manifest.exists():
        saved = json.loads(manifest.read_text())
        if saved.get("key") == key:
            site = Site(root=root, **saved["site"])
            site.reused = True
            return site
    started = time.perf_counter()
    if root.exists():
        import shutil

        shutil.rmtree(root)
    root.mkdir(parents=True)
    urls: list[str] = [""]
    sizes: list[int] = []
    total_bytes = 0
    metas: list[ArticleMeta] = []
    made_dirs: set[str] = set()
    article_pages = 0
    with (root / "truth.jsonl").open("w", encoding="utf-8") as truth_fh:
        for art in iter_articles(n_articles, seed):
            metas.append(art.meta)
            folder = art.meta.folder
            if folder not in made_dirs:
                (root / folder).mkdir(parents=True, exist_ok=True)
                made_dirs.add(folder)
            for path, body in art.pages:
                (root / path).write_bytes(body)
                urls.append(path)
                sizes.append(len(body))
                total_bytes += len(body)
                article_pages += 1
            truth_fh.write(json.dumps(art.truth, ensure_ascii=False) + "\n")
    listing_pages = 0
    newest_first = list(reversed(metas))
    for name, node in SECTIONS:
        listed = [m for m in newest_first if name == "Latest" or m.section == name]
        last = max(1, -(-len(listed) // listing_size))
        for page in range(1, last + 1):
            items = listed[(page - 1) * listing_size : page * listing_size]
            path = f"node_{node}.htm" if page == 1 else f"node_{node}_{page}.htm"
            body = _listing_page(name, node, page, last, items, seed, n_articles)
            (root / path).write_bytes(body)
            urls.append(path)
            total_bytes += len(body)
            listing_pages += 1
    home = _home_page(metas, seed)
    (root / "index.html").write_bytes(home)
    total_bytes += len(home)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /search/\n")
    site = Site(
        root=root,
        seed=seed,
        n_articles=n_articles,
        article_pages=article_pages,
        listing_pages=listing_pages,
        multi_page_articles=sum(1 for m in metas if m.page_count > 1),
        total_bytes=total_bytes,
        urls=urls,
        seconds=time.perf_counter() - started,
        page_sizes=sizes,
    )
    saved = {k: v for k, v in site.__dict__.items() if k not in ("root", "reused")}
    manifest.write_text(json.dumps({"key": key, "site": saved}))
    (root / "urls.txt").write_text("\n".join(urls) + "\n")
    return site


def pick_pages(site: Site, count: int) -> list[tuple[str, dict]]:
    """`count` article pages spread evenly over the site: (path, that page's truth + article's)."""
    truth = site.load_truth()
    everything: list[tuple[str, dict]] = []
    for rec in truth.values():
        for k, page in enumerate(rec["pages"], start=1):
            path = page["url"][len(SITE) + 1 :]
            everything.append(
                (
                    path,
                    {**page, "page": k, "title": rec["title"], "date": rec["date"], "article": rec},
                )
            )
    step = max(1, len(everything) // count)
    return everything[::step][:count]


__all__ = [
    "SECTIONS",
    "SITE",
    "ArticleMeta",
    "Chrome",
    "Site",
    "SyntheticArticle",
    "article_meta",
    "build_article",
    "expected_record",
    "generate_site",
    "iter_articles",
    "iter_records",
    "pick_pages",
    "render_article_page",
    "render_home_page",
    "render_listing_page",
    "render_page",
    "site_chrome",
    "source_hash",
    "to_capture",
]
