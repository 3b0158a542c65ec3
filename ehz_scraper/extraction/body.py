"""The article body: sections of headings and paragraphs, images with captions, and the pager."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

from ehz_scraper.errors import BadURL
from ehz_scraper.extraction.captions import has_credit, split_caption
from ehz_scraper.extraction.text import normalize_space
from ehz_scraper.site import selectors as xpaths
from ehz_scraper.site.urls import ARTICLE_HREF_RE, SITE_HOSTS, SITE_ORIGIN, canonicalize_url

BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "figure", "blockquote", "ul", "ol", "li", "dl", "dt",
     "dd", "center", "header", "footer", "aside", "nav", "main", "pre", "address", "hr",
     "tr", "td", "th", "tbody", "thead", "tfoot", "caption", "details", "summary"}
)  # fmt: skip
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
BOLD_TAGS = frozenset({"b", "strong"})

# Token kinds of the flat stream the walk produces.
LINE, IMAGE, HEADING, FIGCAPTION, ROW = "line", "image", "heading", "figcaption", "row"


@dataclass(slots=True)
class Token:
    """One item of the flat stream a body walk produces (a line, image, heading, caption, row)."""

    kind: str
    text: str = ""
    block: int = 0  # which block element the token came from
    centered: bool = False
    bold: bool = False  # every character of the text is bold
    after_br: bool = False  # a <br/> separates this line from what came before it in its block
    src: str | None = None
    alt: str | None = None


@dataclass
class BodyPart:
    """What one page's body holds: sections (the first may be a headless lead) and images."""

    sections: list[dict] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_widget(el: etree._Element) -> bool:
    """True for share buttons, font-size switchers, pagers and the like (by class or id)."""
    if not el.attrib:
        return False  # most elements have no attributes: one check instead of two look-ups
    cls = el.get("class")
    if cls and xpaths.WIDGET.search(cls):
        return True
    ident = el.get("id")
    return bool(ident and xpaths.WIDGET.search(ident))


def _skipped(el: etree._Element) -> bool:
    tag = el.tag
    return not isinstance(tag, str) or tag in xpaths.SKIP_TAGS or is_widget(el)


def element_text(el: etree._Element) -> str:
    """The normalised text of `el`, without scripts, styles and widgets."""
    parts: list[str] = []
    _gather(el, parts)
    return normalize_space("".join(parts))


def _gather(el: etree._Element, parts: list[str]) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        block = child.tag in BLOCK_TAGS or child.tag == "br"
        if block:
            parts.append(" ")  # a block (even a skipped one) separates the words around it
        if not _skipped(child):
            _gather(child, parts)
            if block:
                parts.append(" ")
        if child.tail:
            parts.append(child.tail)


def _align(el: etree._Element, inherited: bool) -> bool:
    if not el.attrib:
        return inherited or el.tag == "center"
    align = el.get("align")
    if align:
        return align.strip().lower() == "center"
    style = el.get("style")
    if style:
        match = xpaths.STYLE_ALIGN.search(style)
        if match:
            return match[1].lower() == "center"
    cls = el.get("class")
    if cls and xpaths.CLASS_CENTER.search(cls):
        return True  # "text-center", "center": the CMS's editor may centre by class
    return inherited or el.tag == "center"


def _is_bold(el: etree._Element, inherited: bool) -> bool:
    if inherited or el.tag in BOLD_TAGS:
        return True
    style = el.get("style")
    return bool(style and xpaths.STYLE_BOLD.search(style))


class Walker:
    """Turns a body element into a flat stream of lines, images and headings, in document order."""

    def __init__(self) -> None:
        self.tokens: list[Token] = []
        self.runs: list[tuple[str, bool]] = []
        self.block = 0
        self.block_centered = False
        self.after_br = False

    # Lines and blocks
    def add(self, text: str | None, bold: bool) -> None:
        if text:
            self.runs.append((text, bold))

    def end_line(self, *, by_br: bool = False) -> None:
        if self.runs:
            text = normalize_space("".join(t for t, _ in self.runs))
            if text:
                bold = all(b for t, b in self.runs if not t.isspace())
                self.tokens.append(
                    Token(LINE, text, self.block, self.block_centered, bold, self.after_br)
                )
            self.runs = []
        if by_br:
            self.after_br = True

    def start_block(self, centered: bool) -> None:
        self.end_line()
        self.block += 1
        self.block_centered = centered
        self.after_br = False

    # The walk
    def walk_block(self, el: etree._Element, centered: bool, bold: bool) -> None:
        """Walk a block element's content as one block (new blocks for nested block children)."""
        self.start_block(centered)
        self.add(el.text, bold)
        for child in el:
            self.walk(child, centered, bold)
            if child.tail:
                if self.block_centered != centered:
                    self.start_block(centered)  # text after a nested block: back in our block
                self.add(child.tail, bold)
        self.start_block(centered)

    def walk(self, el: etree._Element, centered: bool, bold: bool) -> None:
        if _skipped(el):
            return
        tag = el.tag
        if tag == "br":
            self.end_line(by_br=True)
            return
        if tag == "img":
            self.end_line()
            self.after_br = False  # only a <br/> *after* the image separates its caption
            self.tokens.append(_image_token(el, self.block, self.block_centered))
            return
        if tag in HEADING_TAGS:
            self.start_block(centered)
            if tag != "h1":  # an <h1> in the body repeats the title
                text = element_text(el)
                if text:
                    self.tokens.append(Token(HEADING, text, self.block))
            for img in el.iter("img"):
                self.tokens.append(_image_token(img, self.block, False))
            self.start_block(centered)
            return
        if tag == "table":
            self.walk_table(el, centered, bold)
            return
        if tag == "figcaption":
            self.start_block(centered)
            text = element_text(el)
            if text:
                self.tokens.append(Token(FIGCAPTION, text, self.block))
            self.start_block(centered)
            return
        own_centered = _align(el, centered)
        own_bold = _is_bold(el, bold)
        if tag in BLOCK_TAGS:
            self.walk_block(el, own_centered, own_bold)
            return
        # Inline element: its text joins the current line.
        self.add(el.text, own_bold)
        for child in el:
            self.walk(child, centered, own_bold)
            self.add(child.tail, own_bold)

    def walk_table(self, table: etree._Element, centered: bool, bold: bool) -> None:
        rows = [
            [cell for cell in row if cell.tag in ("td", "th")]
            for row in table.iter("tr")
            if _nearest_table(row) is table
        ]
        if all(len(cells) <= 1 for cells in rows):
            # One column: a layout table; its cells are ordinary containers.
            for cells in rows:
                for cell in cells:
                    self.walk_block(cell, _align(cell, centered), _is_bold(cell, bold))
            return
        self.start_block(centered)
        for cells in rows:
            for cell in cells:
                for img in cell.iter("img"):
                    self.tokens.append(_image_token(img, self.block, False))
            texts = [element_text(cell) for cell in cells]
            line = " | ".join(t for t in texts if t)
            if line:
                self.tokens.append(Token(ROW, line, self.block))
            self.start_block(centered)


def _image_token(img: etree._Element, block: int, centered: bool) -> Token:
    alt = normalize_space(img.get("alt")) or None
    return Token(IMAGE, block=block, centered=centered, src=_image_src(img), alt=alt)


def _nearest_table(el: etree._Element) -> etree._Element | None:
    parent = el.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _image_src(img: etree._Element) -> str | None:
    for attr in ("src", "data-src", "data-original", "original"):
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:"):
            return value
    return None


# An absolute URL canonicalize_url would leave alone but for scheme and host: no query,
# fragment, escapes or odd characters in the path.
_PLAIN_URL = re.compile(r"^https?://([A-Za-z0-9.-]+)(/[A-Za-z0-9/._~-]*)?$")


def resolve_src(src: str, base: str | None) -> str | None:
    """The absolute canonical URL of an image `src` on a page at `base`, None if unusable."""
    if base is not None:
        # Fast path (urls.canonicalize_url costs ~30 us, w3lib's work): the usual image URL.
        try:
            joined = urljoin(base, src.strip())
        except ValueError:  # "http://[::1": canonicalize_url below turns it into BadURL
            joined = ""
        plain = _PLAIN_URL.match(joined)
        if plain is not None:
            host, path = plain[1].lower(), plain[2] or "/"
            if host in SITE_HOSTS:
                return SITE_ORIGIN + path
            return plain[0]
    try:
        return canonicalize_url(src, base)
    except BadURL:
        return None


def extract_body(container: etree._Element, *, base_url: str | None, page: int) -> BodyPart:
    """Sections and images of one page's body element (the tree is only read, never changed)."""
    walker = Walker()
    walker.walk_block(container, _align(container, False), False)
    walker.end_line()
    return assemble(walker.tokens, base_url=base_url, page=page)


def assemble(tokens: list[Token], *, base_url: str | None, page: int) -> BodyPart:
    part = BodyPart()
    current: dict = {"heading": None, "paragraphs": []}
    sections = [current]
    pending: tuple[dict, Token] | None = None  # last image, while its caption may follow

    for tok in tokens:
        if tok.kind == IMAGE:
            record = _image_record(tok, base_url, page, part.warnings)
            if record is not None:
                part.images.append(record)
                pending = (record, tok)
            continue
        waiting, pending = pending, None
        if tok.kind == FIGCAPTION:
            if waiting is not None:
                _set_caption(waiting[0], tok.text)
            continue  # a caption without its image is still not body text
        if xpaths.EDITOR_TRAILER.match(tok.text):
            continue
        if waiting is not None and tok.kind == LINE and is_caption(tok, waiting[1]):
            _set_caption(waiting[0], tok.text)
            continue
        if tok.kind == HEADING or (tok.kind == LINE and tok.bold):
            current = {"heading": tok.text, "paragraphs": []}
            sections.append(current)
            continue
        current["paragraphs"].append(tok.text)

    if not sections[0]["paragraphs"]:
        sections.pop(0)  # a lead with no text
    part.sections = sections
    return part


def is_caption(line: Token, image: Token) -> bool:
    """site-model.md "Captions": which line after an image is that image's caption."""
    if has_credit(line.text):
        return True
    if line.block == image.block:
        return line.after_br or line.centered
    return line.centered and not line.bold


def _set_caption(image: dict, text: str) -> None:
    image["caption"], image["credit"] = split_caption(text)


def _image_record(tok: Token, base_url: str | None, page: int, warnings: list[str]) -> dict | None:
    if tok.src is None:
        return None
    if base_url is None and not tok.src.lower().startswith(("http:", "https:", "//")):
        # No page URL: the site's article folders are two levels deep, so "../../img/..." still
        # lands on the right file, but it is a guess.
        note = "relative image src resolved against the site root"
        if note not in warnings:
            warnings.append(note)
        src = resolve_src(tok.src, SITE_ORIGIN + "/")
    else:
        src = resolve_src(tok.src, base_url)
    if src is None:
        warnings.append(f"image with unusable src skipped: {tok.src[:80]}")
        return None
    return {"src": src, "alt": tok.alt, "caption": None, "credit": None, "page": page}


def find_body(tree: etree._Element) -> etree._Element | None:
    """The template's body element (`#Content`), None when the page has none."""
    found = xpaths.CONTENT(tree)
    return found[0] if found else None


# The current page in a pager: ASCII digits only (str.isdigit() accepts "²", which int()
# then refuses), and no more than a pager could show.
_PAGE_NUMBER = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True)
class Pager:
    """What a page's article pager announces."""

    count: int | None  # the highest page number it shows, None when empty
    hrefs: dict[int, str]  # page number -> href as written


def parse_pager(tree: etree._Element, article_id: int | None) -> Pager | None:
    """The article pager (`#div_currpage`): page count and links of the same article id."""
    found = xpaths.PAGER(tree)
    if not found:
        return None
    el = found[0]
    numbers: list[int] = []
    hrefs: dict[int, str] = {}
    links: list[tuple[int, int, str]] = []
    for a in el.iter("a"):
        href = a.get("href") or ""
        match = ARTICLE_HREF_RE.search(href)
        if match:
            links.append((int(match["id"]), int(match["page"] or 1), href))
    if article_id is None and links:
        # Without a URL, the article is the id most links point at.
        ids = [i for i, _, _ in links]
        article_id = max(set(ids), key=ids.count)
    for ident, number, href in links:
        if ident == article_id:
            numbers.append(number)
            hrefs.setdefault(number, href)
    for node in el.iter("span", "a", "b", "strong", "font"):
        text = (node.text or "").strip()
        if _PAGE_NUMBER.fullmatch(text) and (node.tag != "a" or not node.get("href")):
            numbers.append(int(text))  # the current page, shown without a link
    return Pager(max(numbers) if numbers else None, hrefs)
