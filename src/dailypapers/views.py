from django.shortcuts import render

from dailypapers.papers.models import DailyListing, Paper


def home(request):
    """Until the website app lands: the latest listed and the newest papers."""
    listings = DailyListing.objects.select_related("paper", "paper__organization")[:30]
    newest = Paper.objects.filter(version__gt=0).order_by("-published", "arxiv_id")[:30]
    return render(
        request,
        "dailypapers/home.html",
        {
            "listings": listings,
            "newest": newest,
            "paper_count": Paper.objects.count(),
        },
    )
