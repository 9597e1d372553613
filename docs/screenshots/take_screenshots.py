"""Screenshots of the main pages for the README, from a running dailypapers.

    .venv/bin/python docs/screenshots/take_screenshots.py http://127.0.0.1:8000

Run it against a site holding real data (the README's images show the
10,052 Daily Papers listings of ../shared/data/hf-daily.jsonl.gz); it drives
Debian's chromium through Playwright, like the browser tests.
"""

import re
import sys
from pathlib import Path
from urllib.request import urlopen

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def first_paper(base: str) -> str:
    html = urlopen(f"{base}/papers").read().decode()
    return re.search(r'<h3><a href="(/papers/[^"]+)">', html)[1]


def main(base: str) -> None:
    pages = {
        "daily.png": ("/papers", 1280),
        "paper.png": (first_paper(base), 1280),
        "search.png": ("/papers?q=diffusion+models+for+video+generation", 1280),
        "trending.png": ("/papers/trending", 1280),
        "mobile.png": ("/papers", 390),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for name, (path, width) in pages.items():
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=HERE / name)
            page.close()
            print(f"{name}: {path}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
