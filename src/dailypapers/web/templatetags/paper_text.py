"""Template filters for arXiv text: LaTeX text commands to HTML, math left to KaTeX."""

import re

from django import template
from django.contrib.staticfiles import finders
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Text-mode commands arXiv titles and abstracts use; math ($…$) is rendered by KaTeX in the browser.
_COMMANDS = {"emph": "em", "textit": "em", "textbf": "strong", "texttt": "code", "underline": "u"}
_COMMAND = re.compile(r"\\(" + "|".join(_COMMANDS) + r")\{([^{}$]*)\}")


@register.filter
def latex(text: str) -> SafeString:
    """Escape ``text``, then turn ``\\emph{…}`` and friends into HTML tags."""
    escaped = escape(text or "")
    return mark_safe(
        _COMMAND.sub(lambda m: f"<{_COMMANDS[m[1]]}>{m[2]}</{_COMMANDS[m[1]]}>", escaped)
    )


@register.simple_tag
def katex_available() -> bool:
    """Whether KaTeX's files are there (npm installed them at set-up).

    Without them pages link no KaTeX file and math stays as its LaTeX source.
    """
    return finders.find("katex/katex.min.js") is not None


@register.filter
def excerpt(text: str, words: int = 45) -> str:
    """The first ``words`` words, with an ellipsis when cut."""
    parts = (text or "").split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)
