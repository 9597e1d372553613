"""Code and project links that authors put in their abstract or arXiv comment."""

import re

from .models import MAX_URL

_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'\\]+", re.IGNORECASE)
_GITHUB_REPO = re.compile(
    r"^https?://(?:www\.)?github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)", re.IGNORECASE
)
_PROJECT_HINT = re.compile(r"(project|web)\s*(page|site)|homepage|website|demo", re.IGNORECASE)
# Hosts that are never a paper's own project page.
_NOT_PROJECT_HOSTS = re.compile(
    r"^https?://(?:www\.)?(?:arxiv\.org|doi\.org|dx\.doi\.org|github\.com|creativecommons\.org)",
    re.IGNORECASE,
)


def _urls(text: str) -> list[str]:
    # Abstracts are hard-wrapped, and sentences end with punctuation.
    return [url.rstrip(".,;:!?*") for url in _URL.findall(text) if len(url) <= MAX_URL]


def find_github_repo(text: str) -> str:
    if "://" not in text:
        # Most abstracts: a case-blind pattern is tried at every character otherwise.
        return ""
    for url in _urls(text):
        match = _GITHUB_REPO.match(url)
        if match:
            owner, repo = match.groups()
            repo = repo.removesuffix(".git").rstrip(".")
            if repo:
                return f"https://github.com/{owner}/{repo}"
    return ""


def find_project_page(text: str) -> str:
    """A github.io page, or a URL that follows words like "project page"."""
    if "://" not in text:
        return ""
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?*")
        if len(url) > MAX_URL or _NOT_PROJECT_HOSTS.match(url):
            continue
        preceding = text[max(0, match.start() - 60) : match.start()]
        if ".github.io" in url.lower() or _PROJECT_HINT.search(preceding):
            return url
    return ""
