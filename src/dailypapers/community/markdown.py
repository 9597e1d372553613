"""Comments' Markdown: a small CommonMark subset, rendered and then sanitised.

markdown-it already escapes raw HTML (``html: False``) and refuses ``javascript:``
links; nh3 is the second, independent line: whatever the renderer emits, only
the listed tags, ``href`` on links and ordinary URL schemes reach the page.
Math (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``) passes through as typed, escaped
like any text, and the page's KaTeX renders it as it does titles.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
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


# The delimiters the page's KaTeX auto-render reads (web/static/web/site.js), longest first.
MATH_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))


def _closing(src: str, right: str, start: int) -> int:
    """Where ``right`` closes a math span opened before ``start``, or -1; ``\\$`` is no close."""
    end = src.find(right, start)
    while right.startswith("$") and end > 0 and src[end - 1] == "\\":
        end = src.find(right, end + 1)
    return end


def _math(state: StateInline, silent: bool) -> bool:
    """A math span, kept as typed for KaTeX: Markdown must not take its backslashes
    (``\\|x\\|``), stars or underscores for escapes and emphasis."""
    src, start = state.src, state.pos
    for left, right in MATH_DELIMITERS:
        if not src.startswith(left, start):
            continue
        inner = start + len(left)
        end = _closing(src, right, inner)
        if end <= inner:
            continue
        after = end + len(right)
        # "$5 and $10" is money, not math (Pandoc's rule): no space inside the
        # dollars, no digit right after the closing one.
        if left == "$" and (
            src[inner].isspace()
            or src[end - 1].isspace()
            or (after < len(src) and src[after].isdigit())
        ):
            return False
        if not silent:
            state.push("math", "", 0).content = src[start:after]
        state.pos = after
        return True
    return False


def _math_as_typed(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return escapeHtml(tokens[idx].content)


_markdown = (
    MarkdownIt("commonmark", {"html": False})
    # Headings and rules have no place in a comment: their source shows as typed.
    .disable(["heading", "lheading", "hr"])
)
_markdown.add_render_rule("image", _image_as_link)
# Before "escape", which would turn \( into ( and \| into |.
_markdown.inline.ruler.before("escape", "math", _math)
_markdown.add_render_rule("math", _math_as_typed)


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
