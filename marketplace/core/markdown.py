"""Markdown for text people write (job instructions, assessment descriptions): markdown-it-py, then nh3."""
from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Tags a requester may use in instructions: text, lists, tables, code, images and collapsible examples.
ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
                "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
                "mark", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "summary", "sup", "table",
                "tbody", "td", "th", "thead", "tr", "u", "ul"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
                      "td": {"align"}, "th": {"align"}, "abbr": {"title"},
                      "code": {"class"}, "ol": {"start"}}
# Images and links: web addresses and site-relative paths only (no javascript:, no data: payloads).
ALLOWED_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # CommonMark plus tables and strikethrough; raw HTML passes through markdown-it and is then cleaned by nh3.
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])


def render_markdown(text: str | None) -> Markup:
    """Render Markdown to HTML that is safe to insert into a page (scripts, styles and handlers removed)."""
    if not text:
        return Markup("")
    html = _parser().render(text)
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_SCHEMES,
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)


def render_markdown_inline(text: str | None) -> Markup:
    """Render one line of Markdown (code spans, emphasis) without wrapping it in a paragraph."""
    if not text:
        return Markup("")
    clean = nh3.clean(_parser().renderInline(text), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes=ALLOWED_SCHEMES, link_rel="noopener noreferrer nofollow")
    return Markup(clean)
