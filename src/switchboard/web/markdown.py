"""Assistant replies as HTML: Markdown rendered on the server (markdown-it-py), then
sanitised (nh3, the ammonia library), so a reply can format text but can never inject
markup, script, styles or images, whatever the model was led to write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markupsafe import Markup

# Raw HTML in the source is shown as text (html=False); tables and ~~strikethrough~~ as in
# the GitHub flavour models tend to write.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)


def _image_as_link(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """No images from a reply (they would fetch from anywhere): a link named by its alt text."""
    token = tokens[idx]
    source = escapeHtml(str(token.attrGet("src") or ""))
    name = escapeHtml(token.content or "image")
    return f'<a href="{source}">{name}</a>'


_MARKDOWN.add_render_rule("image", _image_as_link)
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "hr",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# A reply's headings sit under the page's own h1 and the conversation's h2.
HEADING_SHIFT = 2


def render_markdown(text: str | None) -> Markup:
    """`text` as safe HTML: only the tags above, links to http(s), mailto: and tel: only,
    opening in a new tab with no referrer."""
    tokens = _MARKDOWN.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + HEADING_SHIFT)}"
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )
    return Markup(clean)  # sanitised just above
