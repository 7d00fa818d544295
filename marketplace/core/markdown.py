"""Markdown for text people write (job instructions, assessment items): markdown-it-py renders, nh3 sanitises,
the result is safe Markup."""
from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Tags authors may use: text, lists, tables, code, images and collapsible examples (job instructions need
# pictures of what to box; assessment items use the same set).
ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
                "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
                "mark", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "summary", "sup", "table",
                "tbody", "td", "th", "thead", "tr", "u", "ul"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
                      "td": {"align"}, "th": {"align"}, "abbr": {"title"}, "code": {"class"}, "ol": {"start"}}
# Images and links: web addresses and site-relative paths only (no javascript:, no data: payloads).
ALLOWED_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # CommonMark plus tables and strikethrough; raw HTML passes through markdown-it and is then cleaned by nh3.
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])


def _clean(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_SCHEMES,
                     link_rel="noopener noreferrer nofollow")


def render_markdown(text: str | None) -> Markup:
    """Render Markdown to HTML that is safe to insert into a page (scripts, styles and handlers removed)."""
    if not text:
        return Markup("")
    return Markup(_clean(_parser().render(text)))


def render_markdown_inline(text: str | None) -> Markup:
    """Render one line of Markdown (code spans, emphasis) without wrapping it in a paragraph."""
    if not text:
        return Markup("")
    return Markup(_clean(_parser().renderInline(text)))
