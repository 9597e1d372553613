"""Moderation in the Django admin: hide papers and listings, remove comments."""

import pytest
from django.contrib.auth.models import Permission, User

from dailypapers.community import services
from dailypapers.community.models import Comment
from dailypapers.papers.models import DailyListing, Paper

pytestmark = pytest.mark.django_db


def action(client, path: str, name: str, pks) -> object:
    return client.post(
        path, {"action": name, "_selected_action": [str(pk) for pk in pks]}, follow=True
    )


def test_hide_and_unhide_a_paper(client, staff, alice, paper):
    client.force_login(staff)
    listing = client.get("/admin/papers/paper/?is_hidden__exact=0")
    assert b"Hide selected papers" in listing.content and b"2403.01779" in listing.content
    done = action(client, "/admin/papers/paper/", "hide", [paper.pk])
    assert b"1 paper hidden." in done.content
    assert Paper.objects.get().is_hidden
    client.force_login(alice)
    assert client.get("/papers/2403.01779").status_code == 404
    assert b"OOTDiffusion" not in client.get("/papers/date/2024-03-05").content
    client.force_login(staff)
    action(client, "/admin/papers/paper/", "unhide", [paper.pk])
    assert not Paper.objects.get().is_hidden
    client.force_login(alice)
    assert client.get("/papers/2403.01779").status_code == 200


def test_hide_and_unhide_a_listing(client, staff, paper):
    listing = DailyListing.objects.get()
    client.force_login(staff)
    done = action(client, "/admin/papers/dailylisting/", "hide", [listing.pk])
    assert b"1 daily listing hidden." in done.content
    assert DailyListing.objects.get().is_hidden
    client.logout()
    assert b"OOTDiffusion" not in client.get("/papers/date/2024-03-05").content
    # The paper itself stays reachable.
    assert client.get("/papers/2403.01779").status_code == 200
    client.force_login(staff)
    action(client, "/admin/papers/dailylisting/", "unhide", [listing.pk])
    assert not DailyListing.objects.get().is_hidden


def test_remove_comments_in_the_admin(client, staff, alice, paper):
    spam = [services.post_comment(alice, paper, f"spam {n}") for n in range(2)]
    services.post_comment(alice, paper, "fine")
    client.force_login(staff)
    done = action(client, "/admin/community/comment/", "remove", [c.pk for c in spam])
    assert b"2 comment(s) removed." in done.content
    assert Comment.objects.filter(is_removed=True).count() == 2
    paper.refresh_from_db()
    assert paper.comment_count == 1
    # Comments are not deleted or added in the admin: the counter would go wrong.
    assert client.get(f"/admin/community/comment/{spam[0].pk}/delete/").status_code == 403
    assert client.get("/admin/community/comment/add/").status_code == 403


def test_staff_are_moderators_without_the_permission(client, alice, paper):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_comment"))
    comment = services.post_comment(alice, paper, "hello")
    client.force_login(viewer)
    assert b"Remove selected comments" in client.get("/admin/community/comment/").content
    action(client, "/admin/community/comment/", "remove", [comment.pk])
    assert Comment.objects.get().is_removed
