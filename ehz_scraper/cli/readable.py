"""An article as a person reads it: plain text or Markdown, for `ehz show` and `ehz diff`."""

from __future__ import annotations

from typing import Any


def _md_escape(text: str) -> str:
    # Only what would turn a line of prose into markup: a leading #, >, - or a digit-dot list.
    if text[:1] in "#>-+*" or text.split(" ", 1)[0].rstrip(".").isdigit() and ". " in text[:6]:
        return "\\" + text
    return text


def _meta_lines(record: dict[str, Any]) -> list[tuple[str, str]]:
    date = record.get("date") or "-"
    if record.get("date_text"):
        date += f" ({record['date_text']})"
    pairs = [
        ("Date", date),
        ("Source", record.get("source") or "-"),
        ("Byline", record.get("byline")),
        ("Section", record.get("section") or "-"),
        ("URL", record.get("url") or "-"),
        ("Pages", str(record.get("page_count") or len(record.get("page_urls") or []) or 1)),
    ]
    return [(k, v) for k, v in pairs if v]


def _state_lines(state: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not state:
        return []
    return [
        ("Complete", "yes" if state["complete"] else "no (a page is missing)"),
        ("Version", f"{state['version']} of {state['versions']}"),
        ("First fetched", state["first_seen"]),
        ("Last fetched", state["last_seen"]),
    ]


def _image_lines(record: dict[str, Any], markdown: bool) -> list[str]:
    lines: list[str] = []
    for k, image in enumerate(record.get("images") or [], start=1):
        caption = image.get("caption") or image.get("alt") or ""
        credit = f" (credit: {image['credit']})" if image.get("credit") else ""
        page = f" [page {image['page']}]" if image.get("page") else ""
        if markdown:
            alt = caption.replace("[", "(").replace("]", ")")
            if lines:
                lines.append("")
            lines += [
                f"![{alt}]({image.get('src')})",
                f"{k}. {caption or '(no caption)'}{credit}{page}",
            ]
        else:
            lines += [f"[{k}] {caption or '(no caption)'}{credit}{page}", f"    {image.get('src')}"]
    return lines


def _body_blocks(record: dict[str, Any], markdown: bool) -> list[str]:
    blocks = []
    for section in record.get("sections") or []:
        if section.get("heading"):
            heading = section["heading"]
            underline = "-" * min(len(heading), 78)
            blocks.append(f"## {heading}" if markdown else f"{heading}\n{underline}")
        for paragraph in section.get("paragraphs") or []:
            blocks.append(_md_escape(paragraph) if markdown else paragraph)
    if not blocks and record.get("body_text"):
        blocks.append(record["body_text"])
    return blocks


def render(
    record: dict[str, Any], state: dict[str, Any] | None = None, *, markdown: bool = False
) -> str:
    """The article as text (or Markdown): title, facts, body with headings, images.

    `state` (storage.queries.version_state) adds complete, version and the fetch dates;
    without it the text is the record's alone (what `ehz diff` compares).
    """
    title = record.get("title") or "(no title)"
    lines = [f"# {title}" if markdown else title]
    if not markdown:
        lines.append("=" * min(len(title), 78))
    lines.append("")
    for key, value in _meta_lines(record) + _state_lines(state):
        lines.append(f"- **{key}:** {value}" if markdown else f"{key}: {value}")
    for block in _body_blocks(record, markdown):
        lines += ["", block]
    images = _image_lines(record, markdown)
    if images:
        lines += ["", "## Images" if markdown else "Images\n------", "", *images]
    return "\n".join(lines) + "\n"
