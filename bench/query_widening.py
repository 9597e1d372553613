"""What typo tolerance and acronym expansion cost, on an existing data dir.

    DAILYPAPERS_DATA_DIR=DIR .venv/bin/python bench/query_widening.py [--queries 300]

Reads the catalog of DIR (filled by ``dailypapers import``, its keyword index synced)
and reports: the time ``lexicon.rebuild()`` takes (what every sync that changed
something adds), the lexicon's size, the first ``widened()`` of a process (loading the
file and building the in-memory index of title words), then ``widened()`` per query,
p50 and p99, for three kinds of query made from the catalog (seeded): the first
sentence of an abstract (a query that needs no widening), a title with one word
misspelt (a letter dropped or two swapped), and an acronym the catalog defines. For the
misspelt titles, also how often keyword search ranks the paper first and in its top 10,
as typed and widened.
"""

import argparse
import os
import random
import re
import statistics
import time


def percentiles(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100)
    return f"p50 {cuts[49]:.2f} ms, p99 {cuts[98]:.2f} ms"


def misspelt(title: str, rng: random.Random) -> str | None:
    words = title.split()
    long = [i for i, word in enumerate(words) if word.isalpha() and len(word) >= 6]
    if not long:
        return None
    i = rng.choice(long)
    word = words[i]
    at = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.5:
        word = word[:at] + word[at + 1 :]
    else:
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return " ".join(words[:i] + [word] + words[i + 1 :])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
    from dailypapers.papers.models import Paper
    from dailypapers.search import lexicon, service
    from dailypapers.search.documents import SearchFilters
    from dailypapers.search.query import parse_query

    started = time.perf_counter()
    mined = lexicon.rebuild()
    print(
        f"lexicon.rebuild() of {Paper.objects.count():,} papers: "
        f"{time.perf_counter() - started:.1f} s; {len(mined.titles):,} title words, "
        f"{len(mined.acronyms):,} acronyms, {lexicon.path().stat().st_size / 1e6:.1f} MB"
    )
    started = time.perf_counter()
    service.widened(parse_query("difusion"))
    print(f"first widened() of a process: {1000 * (time.perf_counter() - started):.0f} ms")

    rng = random.Random(7)
    ids = sorted(Paper.objects.values_list("arxiv_id", flat=True))
    rows = Paper.objects.filter(arxiv_id__in=rng.sample(ids, args.queries)).values_list(
        "arxiv_id", "title", "abstract"
    )
    sentences = [re.split(r"(?<=\.)\s", abstract, maxsplit=1)[0] for _, _, abstract in rows]
    sought = {misspelt(title, rng): arxiv_id for arxiv_id, title, _ in rows}
    sought.pop(None, None)
    typos = list(sought)
    frequent = sorted(mined.acronyms.items(), key=lambda item: -item[1][1])[: args.queries]
    acronyms = [acronym.upper() for acronym, _ in frequent if len(acronym) >= 3]
    for name, queries in (
        ("abstract sentence", sentences),
        ("title, one word misspelt", typos),
        ("acronym", acronyms),
    ):
        times, widened = [], 0
        for text in queries:
            query = parse_query(text)
            started = time.perf_counter()
            _, notices = service.widened(query)
            times.append(1000 * (time.perf_counter() - started))
            widened += bool(notices)
        print(f"{name}: {len(queries)} queries, {widened} widened; {percentiles(times)}")

    for name, understood in (
        ("as typed", parse_query),
        ("widened", lambda text: service.widened(parse_query(text))[0]),
    ):
        first = top10 = 0
        for text, arxiv_id in sought.items():
            found = [
                pid for pid, _ in service.rank(understood(text), SearchFilters(), "keyword", 10)[0]
            ]
            first += found[:1] == [arxiv_id]
            top10 += arxiv_id in found
        print(f"misspelt titles, keyword {name}: first {first}, top 10 {top10} of {len(sought)}")


if __name__ == "__main__":
    main()
