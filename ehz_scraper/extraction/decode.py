"""Bytes to text: BOM, HTTP charset, <meta> charset, then detection; never mojibake."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from ehz_scraper.errors import NotAnArticle

# Labels browsers treat as another, wider encoding (WHATWG Encoding Standard).
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
    "ascii": "cp1252", "iso8859-1": "cp1252", "utf8": "utf-8", "unicode": "utf-8",
    "big5": "big5hkscs", "shift_jis": "cp932", "x-sjis": "cp932", "euc-kr": "cp949",
}  # fmt: skip
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# Covers <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">.
# (Starts with a literal, so the search skips ahead quickly: no alternation here.)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# The XML declaration of an XHTML page: <?xml version="1.0" encoding="gb2312"?>.
_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)""")
_META_SCAN_BYTES = 8192
# Content types that are certainly not a page (a server may send anything for HTML, so be lenient).
_NOT_HTML_TYPES = re.compile(
    r"^\s*(?:image|audio|video|font|model)/|^\s*application/(?:pdf|zip|gzip|x-gzip|json|javascript"
    r"|x-javascript|msword|vnd\.|x-shockwave-flash|x-tar|x-7z|x-rar|ogg|wasm)",
    re.I,
)
_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"ID3",
)
_TAG = re.compile(rb"<[A-Za-z!/?]")
# C0 controls other than tab, LF, CR: libxml2 turns them into U+FFFD and no text contains them.
_CONTROLS = bytes(c for c in range(32) if c not in (9, 10, 13))


@dataclass
class Decoded:
    """A page as UTF-8 bytes for the parser, the encoding it was read in, and any warnings."""

    data: bytes  # valid UTF-8, without control characters
    encoding: str
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The page's text."""
        return self.data.decode("utf-8")


# Python codecs that decode bytes to str but are no page's charset: escape schemes (a page
# "in" unicode_escape turns backslashes into mojibake), codecs that always fail, and forms
# browsers refuse (UTF-7). Bytes-to-bytes codecs (base64, rot13, hex, zlib, ...) are caught
# by `_is_text_encoding`.
_NOT_PAGE_CODECS = frozenset(
    {"undefined", "unicode-escape", "raw-unicode-escape", "utf-7", "idna", "punycode"}
)


def page_codec(label: str | None) -> str | None:
    """The Python codec for a declared charset label, or None when the label is no text
    encoding a page can be written in (unknown, base64, rot13, unicode_escape, ...)."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_PAGE_CODECS:
        return None
    return info.name


def header_charset(content_type: str | None) -> str | None:
    """The charset label of a Content-Type header value, as written, or None."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match[1] if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset label declared by a <meta> tag (or XML declaration) near the start, or None."""
    match = _XML_ENCODING.match(body, 0, 200) or _META_CHARSET.search(body, 0, _META_SCAN_BYTES)
    return match[1].decode("ascii", "replace") if match else None


def _mostly_utf8(body: bytes) -> tuple[str, int] | None:
    """The UTF-8 reading with U+FFFD for bad bytes when valid sequences outnumber bad ones."""
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    if bad <= 0:
        return text, 0
    non_ascii = len(text) - len(text.encode("ascii", "ignore")) - bad
    return (text, bad) if non_ascii >= bad else None


_DETECTABLE = ["gb18030", "big5", "cp1252", "utf_16_le", "utf_16_be"]


def _detect(body: bytes) -> str | None:
    # Imported here: slow to import, and only undeclared legacy pages need it.
    from charset_normalizer import from_bytes

    # Only encodings a Hangzhou government site plausibly uses: an open guess on a short page
    # picks Korean or Cyrillic code pages for GBK bytes.
    best = from_bytes(body, cp_isolation=_DETECTABLE).best()
    return page_codec(best.encoding) if best is not None else None


def decode_text(body: bytes, content_type: str | None = None) -> tuple[str, str, list[str], bool]:
    """(text, encoding, warnings, had a BOM): the one charset rule of ehz.

    BOM, then the HTTP and <meta> declarations (valid UTF-8 outranks them; a label that is no
    text encoding, such as base64 or unicode_escape, counts as none), then detection.
    The extractor reads pages with it and the archive records the encoding it chose.
    """
    warnings: list[str] = []
    for mark, name in _BOMS:
        if body.startswith(mark):
            # A byte order mark outranks any declaration (as in browsers).
            return body[len(mark) :].decode(name, "replace"), name, warnings, True
    text: str | None = None
    encoding = ""
    labels = [header_charset(content_type), meta_charset(body)]
    declared = [page_codec(label) for label in labels]
    for label, codec in zip(labels, declared, strict=True):
        if label and codec is None:
            # Treated as no declaration: the bytes decide (UTF-8, then detection).
            warnings.append(
                f"declared charset {label[:40]} ignored: unknown or not a text encoding"
            )
    if not body.isascii():
        # Valid UTF-8 with non-ASCII bytes is practically never legacy-encoded text, while a
        # wrong declaration is common (servers default to ISO-8859-1): prefer the bytes.
        try:
            text, encoding = body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        else:
            wrong = [c for c in declared if c and c not in ("utf-8", "cp1252")]
            if wrong:
                warnings.append(f"declared charset {wrong[0]} ignored: the bytes are UTF-8")
    # A UTF-16/32 label without a BOM is a copy-paste of a meta tag, never the real encoding.
    usable = (c for c in declared if c and not c.startswith(("utf-16", "utf-32")))
    for name in dict.fromkeys(usable) if text is None else ():
        try:
            text, encoding = body.decode(name), name
            break
        except UnicodeDecodeError:
            continue  # a declaration the bytes contradict: try the next clue
    if text is not None:
        return text, encoding, warnings, False
    if body.isascii():
        return body.decode("ascii"), "ascii", warnings, False
    reading = _mostly_utf8(body)
    if reading is not None:
        text, bad = reading
        if bad:
            warnings.append("invalid UTF-8 bytes replaced")
        return text, "utf-8", warnings, False
    detected = _detect(body)
    if detected is not None:
        warnings.append(f"charset guessed: {detected}")
        return body.decode(detected, "replace"), detected, warnings, False
    warnings.append("charset unknown: invalid UTF-8 replaced")
    return body.decode("utf-8", "replace"), "utf-8", warnings, False


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """The text of an HTML page; raises NotAnArticle for an empty or non-HTML body."""
    if not body or body.isspace():
        raise NotAnArticle("empty body")
    if content_type and _NOT_HTML_TYPES.search(content_type):
        raise NotAnArticle("not HTML")
    if body[:64].lstrip().startswith(_MAGIC):
        raise NotAnArticle("not HTML")
    text, encoding, warnings, bom = decode_text(body, content_type)
    # The parser reads UTF-8: the body as it is when it already was (no copy), else re-encoded.
    exact = not bom and not warnings and (encoding == "utf-8" or body.isascii())
    data = body if exact else text.encode("utf-8")
    cleaned = data.translate(None, _CONTROLS)  # a C loop: much faster than a regex search
    if len(cleaned) != len(data):
        if data.count(b"\x00") > len(data) // 10:
            raise NotAnArticle("not HTML")  # binary, or UTF-16 without a BOM
        data = cleaned
        warnings.append("control characters removed")
    if not data or data.isspace():
        raise NotAnArticle("empty body")
    if _TAG.search(data) is None:
        raise NotAnArticle("not HTML")
    return Decoded(data, encoding, warnings)
