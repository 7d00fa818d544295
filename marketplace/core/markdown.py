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


# Job instructions may also show images and collapsible examples (<details>): requesters illustrate what they
# want ("a tight box looks like this"). Images are limited to web and site addresses; trainers see the page.
RICH_TAGS = ALLOWED_TAGS | {"img", "details", "summary", "figure", "figcaption", "mark", "small", "span", "div",
                            "dl", "dt", "dd", "abbr", "ins", "u"}
RICH_ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "img": {"src", "alt", "title", "width", "height"}, "abbr": {"title"}}


@lru_cache(maxsize=1)
def _rich_parser() -> MarkdownIt:
    # Raw HTML allowed (for <details> examples), then cut down to RICH_TAGS by nh3: scripts, styles, event
    # handlers and javascript: URLs never survive.
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])


def render_instructions(text: str | None) -> Markup:
    """Render a job's Markdown instructions: as render_markdown, plus images and <details> examples."""
    if not text:
        return Markup("")
    html = _rich_parser().render(text)
    return Markup(nh3.clean(html, tags=RICH_TAGS, attributes=RICH_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                            link_rel="noopener noreferrer nofollow"))
