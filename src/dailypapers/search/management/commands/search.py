import json

from django.core.management.base import BaseCommand

from dailypapers.search import backends
from dailypapers.search.documents import SearchFilters
from dailypapers.search.service import search


class Command(BaseCommand):
    help = "Search the catalog from the command line, as the site and API do."

    def add_arguments(self, parser):
        parser.add_argument(
            "query",
            help="words, a quoted phrase or an arXiv id, and filters such as author:LeCun, "
            "cat:cs.LG, org:SLUG, after:2025-01, before:2024 (docs/search.md)",
        )
        parser.add_argument("--mode", choices=["hybrid", "keyword", "semantic"], default="hybrid")
        parser.add_argument("--sort", choices=["relevance", "date", "upvotes"], default="relevance")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--category", default="")
        parser.add_argument("--author", default="")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, query, mode, sort, limit, category, author, json: bool, **options):
        results = search(
            query,
            SearchFilters(category=category, author=author),
            mode=mode,
            sort=sort,
            limit=limit,
        )
        if json:
            self.stdout.write(
                _json(
                    {
                        "mode": results.mode,
                        "vectors": backends.vector_index().description,
                        "notices": results.notices,
                        "hits": [
                            {
                                "id": hit.paper.arxiv_id,
                                "title": hit.paper.title,
                                "score": round(hit.score, 4),
                            }
                            for hit in results.hits
                        ],
                    }
                )
            )
            return
        for notice in results.notices:
            self.stderr.write(notice)
        for hit in results.hits:
            self.stdout.write(f"{hit.paper.arxiv_id:<14} {hit.score:6.3f}  {hit.paper.title}")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)
