"""Markdown for instructions and test items: markdown-it-py renders, nh3 sanitises, the result is safe Markup."""
from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# What authored text may use: prose, lists, quotes, code, tables, links. No raw HTML, no images (an image
# URL would let an author make every reader's browser call a third party).
ALLOWED_TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "s", "del", "code", "pre", "blockquote", "ul", "ol",
                "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
                "kbd", "sup", "sub"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "th": {"align"}, "td": {"align"},
                      "ol": {"start"}}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False: raw HTML in the source is shown as text, and nh3 is a second line of defence.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def _clean(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


def render_markdown(text: str | None) -> Markup:
    """Render Markdown to sanitised HTML, safe to put in a template as is."""
    if not text:
        return Markup("")
    return Markup(_clean(_parser().render(text)))


def render_markdown_inline(text: str | None) -> Markup:
    """Render one line of Markdown (code spans, emphasis) without wrapping it in a paragraph."""
    if not text:
        return Markup("")
    return Markup(_clean(_parser().renderInline(text)))
