"""Search: the results page and the header box's suggestions."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from videos_app.search.results import search_page, suggestions


@require_safe
def search(request):
    """/search/?q=...: results with filters and sorting, a page at a time (``after``).
    htmx asks for the next page alone (``more``), appended under the last result."""
    page = search_page(
        text=request.GET.get("q", ""),
        params=request.GET,
        cursor=request.GET.get("after", ""),
    )
    following = request.GET.copy()
    following.pop("more", None)
    following["after"] = page.next_cursor or ""
    template = "videos_app/search/results.html"
    if request.htmx and request.GET.get("more"):
        template = "videos_app/search/_results_page.html"
    status = 503 if page.unavailable else 200
    return render(
        request, template, {"page": page, "next_query": following.urlencode()}, status=status
    )


@require_safe
def search_suggest(request):
    """The header box's suggestions while someone types (htmx); empty without words."""
    found = suggestions(request.GET.get("q", ""))
    return render(request, "videos_app/search/_suggestions.html", {"suggestions": found})
