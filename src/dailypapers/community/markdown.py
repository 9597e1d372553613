"""Comments' Markdown: a small CommonMark subset, rendered and then sanitised.

markdown-it already escapes raw HTML (``html: False``) and refuses ``javascript:``
links; nh3 is the second, independent line: whatever the renderer emits, only
the listed tags, ``href`` on links and ordinary URL schemes reach the page.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

ALLOWED_TAGS = {"p", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "blockquote", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"


def _image_as_link(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # An image would make every reader's browser fetch a URL of the commenter's
    # choosing (tracking, huge files); a link to it keeps what was meant.
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(alt)}</a>'


_markdown = (
    MarkdownIt("commonmark", {"html": False})
    # Headings and rules have no place in a comment: their source shows as typed.
    .disable(["heading", "lheading", "hr"])
)
_markdown.add_render_rule("image", _image_as_link)


def render_markdown(source: str) -> SafeString:
    """Sanitised HTML for a comment's Markdown source."""
    html = _markdown.render(source)
    return mark_safe(
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel=LINK_REL,
        )
    )
