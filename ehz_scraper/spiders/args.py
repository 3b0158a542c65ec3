"""Spider arguments (`-a name=value`): typed, validated before the first request."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ehz_scraper.errors import BadArgument, BadURL
from ehz_scraper.extraction.text import normalize_space
from ehz_scraper.site.urls import SITE_HOSTS, SITE_ORIGIN, canonicalize_url, parse_article_url


class Mode(StrEnum):
    """How far a listing walk goes."""

    incremental = "incremental"  # stop after the first page of known articles on covered ground
    full = "full"  # walk every listing page


class CrawlArgs(BaseModel):
    """Arguments every spider takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(
        SITE_ORIGIN + "/",
        description="Home page of the site or of a copy of it (e.g. http://127.0.0.1:8765/).",
    )
    refresh: bool = Field(
        False,
        description="Re-fetch known articles with a conditional GET (If-None-Match / "
        "If-Modified-Since from their last fetch).",
    )

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "must be an absolute http(s) URL such as https://www.ehangzhou.gov.cn/"
            )
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        try:
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"bad port: {exc}") from None
        path = parts.path or "/"
        last = path.rsplit("/", 1)[-1]
        if last and "." not in last:  # a folder given without its slash
            path += "/"
        return f"{parts.scheme}://{parts.netloc.lower()}{path}"

    @property
    def root_url(self) -> str:
        """The site's root: base_url, or its folder when base_url names a file (index.htm)."""
        return self.base_url.rsplit("/", 1)[0] + "/"

    @property
    def mirror(self) -> str | None:
        """The root of a copy of the site being crawled; None on the live site."""
        return None if urlsplit(self.base_url).hostname in SITE_HOSTS else self.root_url


class WalkArgs(CrawlArgs):
    """Arguments of spiders that walk listing pages."""

    max_pages: int | None = Field(
        None, ge=1, description="Listing pages to walk per section at most (default: no limit)."
    )
    mode: Mode = Field(
        Mode.incremental,
        description="incremental: stop after the first listing page whose articles are all "
        "known, once on ground a completed run covered; full: walk every listing page.",
    )


class SectionArgs(WalkArgs):
    """`section -a name=Business`."""

    name: str = Field(description="The section's link text in the navigation (case-insensitive).")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = normalize_space(value)
        if not value:
            raise ValueError("must be a section name such as Business")
        return value


class SiteArgs(WalkArgs):
    """`site`: every section, every listing page, every article (a backfill)."""

    mode: Mode = Field(Mode.full, description="full (default) or incremental, per section.")


class ArticleArgs(CrawlArgs):
    """`article -a url=URL[,URL...]` or `-a urls_file=PATH`."""

    url: str | None = Field(None, description="Article URLs, comma-separated.")
    urls_file: Path | None = Field(None, description="A file of article URLs, one per line.")

    @model_validator(mode="after")
    def _one_source(self) -> ArticleArgs:
        if (self.url is None) == (self.urls_file is None):
            raise ValueError("give exactly one of -a url=URL[,URL...] or -a urls_file=PATH")
        source = "url" if self.url is not None else "urls_file"
        if self.urls_file is not None and not self.urls_file.is_file():
            raise ValueError(f"argument 'urls_file': no such file: {self.urls_file}")
        try:
            _ = self.article_urls  # every URL must be an article URL, checked now
        except (ValueError, OSError) as exc:
            raise ValueError(f"argument {source!r}: {exc}") from None
        return self

    @property
    def article_urls(self) -> list[str]:
        """Canonical page-1 URLs of the articles asked for, in order, each once."""
        if self.url is not None:
            raw = [u for u in self.url.split(",") if u.strip()]
        else:
            assert self.urls_file is not None
            lines = self.urls_file.read_text(encoding="utf-8").splitlines()
            raw = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        if not raw:
            raise ValueError("no article URL given")
        urls = []
        for item in raw:
            try:
                canonical = canonicalize_url(item.strip(), self.base_url, mirror=self.mirror)
            except BadURL as exc:
                raise ValueError(str(exc)) from None
            ref = parse_article_url(canonical)
            if ref is None:
                raise ValueError(f"not an article URL (…/YYYY-MM/DD/c_<id>.htm): {item.strip()}")
            urls.append(ref.url if ref.page == 1 else ref.page1_url)
        return list(dict.fromkeys(urls))


M = TypeVar("M", bound="CrawlArgs")


def parse_args(model: type[M], raw: dict[str, Any]) -> M:
    """Validate `-a` values into `model`; raise BadArgument with a one-line message."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if not where:  # a check across arguments: its message names them
            raise BadArgument(msg) from None
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(model.model_fields)
            raise BadArgument(f"unknown argument {where!r} (allowed: {allowed})") from None
        if err["type"] == "missing":
            raise BadArgument(f"argument {where!r} is required") from None
        value = err.get("input")
        shown = f" (got {value!r})" if isinstance(value, str | int) else ""
        raise BadArgument(f"argument {where!r}: {msg}{shown}") from None
