"""The fallback path: a page outside the template, read by trafilatura (title, body) and htmldate.

Only pages where the template's selectors miss come here, so trafilatura and htmldate are
imported on first use: the template path and the CLI's start-up never load them.
trafilatura's XML body is turned into the same token stream the template walk produces
(body.py), so headings, bold-line headings, tables, `Editor:` trailers and captions follow the
template path's rules; captions come from the page itself, because trafilatura drops them.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from types import ModuleType

from lxml import etree

from ehz_scraper.extraction.body import (
    FIGCAPTION,
    HEADING,
    IMAGE,
    LINE,
    ROW,
    BodyPart,
    Token,
    Walker,
    assemble,
    is_caption,
    is_widget,
    resolve_src,
)
from ehz_scraper.extraction.dates import parse_date
from ehz_scraper.extraction.metadata import strip_site_suffix, usable_title
from ehz_scraper.extraction.text import normalize_space

# trafilatura's options, chosen on ../shared/peer-pages (91 real articles, F1 of ehz's record
# by the benchmark's scoring, `python -m bench.fallback`): favor_precision 0.977, against 0.968
# with trafilatura's defaults and 0.969 with favor_recall; without tables 0.970. Formatting
# (0.977 either way) is on for the template's rule that a wholly bold line is a heading.
# (Plain `trafilatura.extract`: 0.962 with its defaults, 0.973 with favor_precision.)
TRAFILATURA_OPTIONS = {
    "favor_precision": True,
    "include_tables": True,
    "include_formatting": True,  # <hi rend="#b">: a wholly bold line is a heading, as in #Content
    "include_comments": False,
}
# htmldate without its extensive search, which dates the site's pages from the dates in their
# sidebar links (2021-05-06 on fixture cases 24 and 28) or from nowhere visible (2026-01-01 on
# case 27, whose only date is the URL's).
HTMLDATE_OPTIONS = {
    "original_date": True,
    "extensive_search": False,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}


@functools.cache
def _trafilatura() -> ModuleType:
    """trafilatura, imported on the first page off the template, never at start-up."""
    import trafilatura

    return trafilatura


@functools.cache
def _htmldate() -> ModuleType:
    import htmldate

    return htmldate


@functools.cache
def _parser() -> etree.HTMLParser:
    """An lxml.html parser (trafilatura wants lxml.html elements) like the template's own."""
    from lxml import html

    return html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, default_doctype=False
    )


@dataclass(frozen=True)
class Reading:
    """What trafilatura made of one page: its title, and its body as trafilatura's XML twice,
    read without images (the text) and with them (where the images sit in that text)."""

    title: str | None
    text: etree._Element | None
    with_images: etree._Element | None
    error: str | None = None  # trafilatura raised: the record says so (a body-less record)


def read_page(data: bytes, *, with_title: bool) -> Reading:
    """trafilatura's reading of a page (UTF-8 `data`), widgets removed first as in #Content."""
    from lxml import html

    try:
        tree = html.fromstring(data, parser=_parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return Reading(None, None, None)
    # Share bars, font-size switchers, pagers: the same class/id rule as in the template's body
    # (the site's rule; on the peer pages it changes nothing measurable, 0.976 without it).
    for el in [el for el in tree.iter() if isinstance(el.tag, str) and is_widget(el)]:
        if el.getparent() is not None and el.tag not in ("html", "body"):
            el.drop_tree()
    try:
        return _read(tree, with_title=with_title)
    except Exception as exc:  # a library bug on one odd page must not stop the crawl
        return Reading(None, None, None, f"trafilatura failed: {type(exc).__name__}: {exc}"[:200])


def _read(tree: etree._Element, *, with_title: bool) -> Reading:
    import copy

    extract = _trafilatura().bare_extraction
    # Images on change what trafilatura keeps: lists of thumbnails with headlines (related
    # stories) and caption lines come in, F1 0.971 against 0.977 for the text read with images
    # off (bench.fallback, 91 pages). So the text is the reading without images, and the
    # reading with images only places the images in it (fallback_body).
    doc = extract(
        copy.deepcopy(tree),
        with_metadata=with_title,
        date_extraction_params=HTMLDATE_OPTIONS,
        include_images=False,
        **TRAFILATURA_OPTIONS,
    )
    if doc is None:  # nothing trafilatura would call an article: the title may still be there
        if not with_title:
            return Reading(None, None, None)
        meta = _trafilatura().extract_metadata(tree, date_config=HTMLDATE_OPTIONS)
        return Reading(_clean_title(meta.title if meta is not None else None), None, None)
    title = _clean_title(doc.title) if with_title else None
    pictured = extract(tree, include_images=True, **TRAFILATURA_OPTIONS)
    return Reading(title, doc.body, pictured.body if pictured is not None else None)


def _clean_title(text: str | None) -> str | None:
    """trafilatura's title without the site's suffix; None when it is only the site's name."""
    return usable_title(strip_site_suffix(normalize_space(text)))


def page_date(data: bytes) -> str | None:
    """The page's original publication date by htmldate, as ehz writes dates (Beijing time)."""
    try:
        found = _htmldate().find_date(data.decode("utf-8", "replace"), **HTMLDATE_OPTIONS)
    except Exception:  # htmldate on a broken page: no date rather than no record
        return None
    if not found:
        return None
    if found.endswith("T00:00:00"):
        return found[:10]  # htmldate writes midnight for a date printed without a time
    return parse_date(found)  # an offset is kept as the moment, written in +08:00 like the site


def _text(el: etree._Element) -> str:
    return normalize_space("".join(el.itertext()))


class _XmlTokens:
    """trafilatura's XML (<head>, <p>, <lb/>, <hi>, <list>, <table>, <graphic>) as body tokens."""

    def __init__(self) -> None:
        self.tokens: list[Token] = []
        self.block = 0
        self.runs: list[tuple[str, bool]] = []
        self.after_br = False

    def end_line(self, *, by_br: bool = False) -> None:
        if self.runs:
            text = normalize_space("".join(t for t, _ in self.runs))
            if text:
                bold = all(b for t, b in self.runs if not t.isspace())
                self.tokens.append(Token(LINE, text, self.block, False, bold, self.after_br))
            self.runs = []
        if by_br:
            self.after_br = True

    def new_block(self) -> None:
        self.end_line()
        self.block += 1
        self.after_br = False

    def graphic(self, el: etree._Element) -> None:
        self.end_line()
        self.after_br = False
        src = (el.get("src") or "").strip() or None
        alt = normalize_space(el.get("alt")) or None
        self.tokens.append(Token(IMAGE, block=self.block, src=src, alt=alt))

    def inline(self, el: etree._Element, bold: bool) -> None:
        """The text of a paragraph-like element, its <lb/> breaks and images."""
        if el.text:
            self.runs.append((el.text, bold))
        for child in el:
            tag = child.tag
            if tag == "lb":
                self.end_line(by_br=True)
            elif tag == "graphic":
                self.graphic(child)
            elif tag in ("list", "table", "quote", "p", "head"):
                self.block_element(child)
                self.new_block()
            else:
                self.inline(child, bold or (tag == "hi" and "#b" in (child.get("rend") or "")))
            if child.tail:
                self.runs.append((child.tail, bold))

    def blocks(self, container: etree._Element) -> None:
        """The children of <body> or a <quote> as blocks, and text between them as paragraphs
        (trafilatura leaves a stray paragraph's text as the tail of the one before)."""
        for text, child in [(container.text, None), *((c.tail, c) for c in container)]:
            if child is not None and isinstance(child.tag, str):
                self.block_element(child)
            if text and text.strip():
                self.new_block()
                self.runs.append((text, False))
                self.new_block()

    def block_element(self, el: etree._Element) -> None:
        tag = el.tag
        self.new_block()
        if tag == "head":
            # The page's <h1> repeats the title (as in #Content); h2-h6 are sub-headings.
            if (el.get("rend") or "").lower() != "h1":
                text = _text(el)
                if text:
                    self.tokens.append(Token(HEADING, text, self.block))
        elif tag == "graphic":
            self.graphic(el)
        elif tag == "list":
            for item in el:
                if item.tag == "item":
                    self.new_block()
                    self.inline(item, False)
                elif isinstance(item.tag, str):
                    self.block_element(item)
        elif tag == "table":
            self.table(el)
        elif tag == "quote" and any(c.tag in ("p", "list", "head", "table") for c in el):
            self.blocks(el)
        elif isinstance(tag, str):
            self.inline(el, False)  # p, quote, code, and anything else with text
        self.new_block()

    def table(self, table: etree._Element) -> None:
        rows = [row for row in table.iter("row") if _nearest(row, "table") is table]
        cells = [[c for c in row if c.tag == "cell"] for row in rows]
        if all(len(c) <= 1 for c in cells):
            # One column: a layout table; its cells are ordinary containers (as in #Content).
            for row in cells:
                for cell in row:
                    self.new_block()
                    self.inline(cell, False)
            return
        for row in cells:
            for cell in row:
                for img in cell.iter("graphic"):
                    self.graphic(img)
            line = " | ".join(t for t in (_text(c) for c in row) if t)
            if line:
                self.tokens.append(Token(ROW, line, self.block))
            self.new_block()


def _nearest(el: etree._Element, tag: str) -> etree._Element | None:
    parent = el.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


class _ImageWalker(Walker):
    """The template's walk, remembering which <img> each image token came from."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: dict[int, etree._Element] = {}  # token index -> its <img>

    def walk(self, el: etree._Element, centered: bool, bold: bool) -> None:
        count = len(self.tokens)
        super().walk(el, centered, bold)
        if el.tag == "img" and len(self.tokens) > count and self.tokens[-1].kind == IMAGE:
            self.elements[len(self.tokens) - 1] = el


def _figure_caption(img: etree._Element) -> str | None:
    """The <figcaption> of the <figure> holding `img` as its only image, wherever it sits."""
    for ancestor in img.iterancestors():
        if ancestor.tag == "figure":
            caption = ancestor.find(".//figcaption")
            if caption is None or sum(1 for _ in ancestor.iter("img")) != 1:
                return None
            return normalize_space("".join(caption.itertext())) or None
    return None


def _image_urls(img: etree._Element) -> list[str]:
    """Every URL an <img> names (src, data-src, srcset candidates...): trafilatura may pick any."""
    urls = []
    for name, value in img.attrib.items():
        if name in ("src", "srcset") or name.startswith("data-"):
            urls.extend(part.split()[0] for part in value.split(",") if part.strip())
    return [u for u in urls if not u.startswith("data:") and ("/" in u or "." in u)]


def page_captions(tree: etree._Element, base_url: str | None) -> dict[str, str]:
    """Caption line of each image on the page (by resolved URL), by the template's caption rules,
    and a <figcaption> anywhere in an image's <figure>.

    trafilatura keeps no captions (it drops <figcaption> and reads a caption line as a
    paragraph), so the page's own images are read as the template walk reads #Content: on the 91
    peer pages that gives 26 captions to 144 images, where trafilatura has none.
    """
    body = tree.find("body")
    if body is None:
        return {}
    walker = _ImageWalker()
    walker.walk_block(body, False, False)
    walker.end_line()
    found: dict[str, str] = {}
    tokens = walker.tokens
    for i, tok in enumerate(tokens):
        if tok.kind != IMAGE:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and (
            nxt.kind == FIGCAPTION or (nxt.kind == LINE and is_caption(nxt, tok))
        ):
            caption = nxt.text
        else:
            img = walker.elements.get(i)
            caption = _figure_caption(img) if img is not None else None
        if caption is None:
            continue
        img = walker.elements.get(i)
        for url in _image_urls(img) if img is not None else [tok.src or ""]:
            src = resolve_src(url, base_url)
            if src is not None:
                found.setdefault(src, caption)
    return found


def body_tokens(body: etree._Element | None) -> list[Token]:
    """The body of a trafilatura XML reading as the token stream the template walk produces."""
    xml = _XmlTokens()
    if body is not None:
        xml.blocks(body)
    xml.end_line()
    return xml.tokens


def place_images(text: list[Token], pictured: list[Token]) -> list[Token]:
    """The text tokens with the images of the reading with images, where that reading has them.

    A text of the reading with images that is not in the text (a related story's headline
    under its thumbnail) is dropped with the images of its block.
    """
    left = Counter((t.kind, t.text) for t in text)
    dropped_blocks = set()
    for tok in pictured:
        if tok.kind == IMAGE:
            continue
        if left[(tok.kind, tok.text)] > 0:
            left[(tok.kind, tok.text)] -= 1
        else:
            dropped_blocks.add(tok.block)
    images_after: dict[int, list[Token]] = {}  # index of the text token an image follows
    seen = Counter()
    kept_before = -1
    index = {}  # (kind, text, occurrence) -> position in `text`
    counts = Counter()
    for i, tok in enumerate(text):
        key = (tok.kind, tok.text)
        index[(*key, counts[key])] = i
        counts[key] += 1
    for tok in pictured:
        if tok.kind == IMAGE:
            if tok.block not in dropped_blocks:
                images_after.setdefault(kept_before, []).append(tok)
            continue
        key = (tok.kind, tok.text)
        position = index.get((*key, seen[key]))
        seen[key] += 1
        if position is not None:
            kept_before = position
    placed = list(images_after.get(-1, []))
    for i, tok in enumerate(text):
        placed.append(tok)
        placed.extend(images_after.get(i, []))
    return placed


def fallback_body(
    reading: Reading, tree: etree._Element, *, base_url: str | None, page: int
) -> BodyPart:
    """One page's sections and images from trafilatura's reading, captions from the page."""
    if reading.text is None:
        return BodyPart(warnings=[reading.error] if reading.error else [])
    stream = place_images(body_tokens(reading.text), body_tokens(reading.with_images))
    captions = page_captions(tree, base_url) if any(t.kind == IMAGE for t in stream) else {}
    tokens: list[Token] = []
    drop: str | None = None  # a caption line trafilatura kept as a paragraph after its image
    for tok in stream:
        if drop is not None and tok.kind == LINE and tok.text == drop:
            drop = None
            continue
        drop = None
        tokens.append(tok)
        if tok.kind == IMAGE and tok.src is not None:
            caption = captions.get(resolve_src(tok.src, base_url) or "")
            if caption is not None:
                tokens.append(Token(FIGCAPTION, caption, tok.block))
                drop = caption
    return assemble(tokens, base_url=base_url, page=page)


__all__ = ["Reading", "fallback_body", "page_date", "read_page"]
