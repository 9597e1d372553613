"""Claiming authorship (approved by staff in the admin) and linking papers to organizations."""

import pytest
from django.core.exceptions import PermissionDenied

from dailypapers.community.models import AuthorshipClaim
from dailypapers.community.services import link_to_organization, verified_author_ids
from dailypapers.papers.models import Author, Organization, Paper

pytestmark = pytest.mark.django_db

VERIFIED = b'<span class="badge verified"'


def author_id(name: str) -> int:
    return Author.objects.get(name=name).pk


def admin_action(client, model: str, action: str, pks) -> object:
    return client.post(
        f"/admin/community/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )


def test_claim_then_approve_in_the_admin_shows_the_verified_badge(client, alice, staff, paper):
    client.force_login(alice)
    page = client.get("/papers/2403.01779").content
    assert b"Claim authorship" in page and VERIFIED not in page
    response = client.post("/papers/2403.01779/claim", {"author": author_id("Tao Gu")})
    assert response["Location"] == "/papers/2403.01779#community"
    claim = AuthorshipClaim.objects.get()
    assert (claim.user, claim.author.name, claim.status) == (alice, "Tao Gu", "pending")
    page = client.get("/papers/2403.01779").content
    assert b"is pending" in page and VERIFIED not in page

    client.force_login(staff)
    listing = client.get("/admin/community/authorshipclaim/")
    assert b"Approve selected claims" in listing.content
    done = admin_action(client, "authorshipclaim", "approve", [claim.pk])
    assert b"1 claim(s) approved." in done.content
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.decided_by == staff and claim.decided_at

    assert verified_author_ids(paper) == {author_id("Tao Gu")}
    page = client.get("/papers/2403.01779").content.decode()
    assert page.count('<span class="badge verified"') == 1
    assert page.index(">Tao Gu</a>") < page.index('class="badge verified"')
    assert page.index(">Yuhao Xu</a>") < page.index(">Tao Gu</a>")


def test_rejected_claim_verifies_nothing(client, alice, staff, paper):
    claim = AuthorshipClaim.objects.create(user=alice, paper=paper, author_id=author_id("Tao Gu"))
    client.force_login(staff)
    assert (
        b"1 claim(s) rejected."
        in admin_action(client, "authorshipclaim", "reject", [claim.pk]).content
    )
    assert verified_author_ids(paper) == set()
    client.force_login(alice)
    page = client.get("/papers/2403.01779").content
    assert b"is rejected" in page and b"Claim authorship" not in page


def test_one_verified_account_per_author(client, alice, bob, staff, paper):
    tao = author_id("Tao Gu")
    first = AuthorshipClaim.objects.create(user=alice, paper=paper, author_id=tao)
    second = AuthorshipClaim.objects.create(user=bob, paper=paper, author_id=tao)
    client.force_login(staff)
    done = admin_action(client, "authorshipclaim", "approve", [first.pk, second.pk])
    assert b"1 claim(s) approved." in done.content
    assert b"1 claim(s) skipped" in done.content
    assert AuthorshipClaim.objects.filter(status="approved").count() == 1


def test_deactivated_accounts_are_not_verified(alice, paper):
    AuthorshipClaim.objects.create(
        user=alice, paper=paper, author_id=author_id("Tao Gu"), status="approved"
    )
    alice.is_active = False
    alice.save()
    assert verified_author_ids(paper) == set()


def test_claims_are_refused_for_strangers_and_twice(as_alice, alice, paper):
    Author.objects.create(name="Not On This Paper")
    stranger = as_alice.post("/papers/2403.01779/claim", {"author": author_id("Not On This Paper")})
    assert stranger.status_code == 302
    assert not AuthorshipClaim.objects.exists()
    as_alice.post("/papers/2403.01779/claim", {"author": author_id("Tao Gu")})
    again = as_alice.post(
        "/papers/2403.01779/claim", {"author": author_id("Yuhao Xu")}, follow=True
    )
    assert b"already claimed" in again.content
    assert AuthorshipClaim.objects.count() == 1


def test_claims_need_a_login(client, paper):
    response = client.post("/papers/2403.01779/claim", {"author": author_id("Tao Gu")})
    assert response["Location"].startswith("/accounts/login/")
    assert b"Claim authorship" not in client.get("/papers/2403.01779").content


def test_member_links_and_unlinks_a_paper(as_alice, member, organization, paper):
    page = as_alice.get("/papers/2403.01779").content
    assert b"Link to organization" in page and b'value="acme"' in page
    response = as_alice.post("/papers/2403.01779/organization", {"organization": "acme"})
    assert response["Location"] == "/papers/2403.01779#community"
    paper.refresh_from_db()
    assert paper.organization == organization
    assert b'href="/organizations/acme"' in as_alice.get("/papers/2403.01779").content
    as_alice.post("/papers/2403.01779/organization", {"organization": ""})
    paper.refresh_from_db()
    assert paper.organization is None


def test_linking_marks_the_paper_changed_for_the_search_index(as_alice, member, paper):
    before = paper.changed_at
    as_alice.post("/papers/2403.01779/organization", {"organization": "acme"})
    paper.refresh_from_db()
    assert paper.changed_at > before


def test_non_members_cannot_link(client, alice, bob, member, organization, paper):
    client.force_login(bob)
    assert b"Link to organization" not in client.get("/papers/2403.01779").content
    assert (
        client.post("/papers/2403.01779/organization", {"organization": "acme"}).status_code == 403
    )
    paper.refresh_from_db()
    assert paper.organization is None
    assert (
        client.post("/papers/2403.01779/organization", {"organization": "nope"}).status_code == 302
    )


def test_members_cannot_take_another_organizations_paper(as_alice, member, paper):
    other = Organization.objects.create(slug="other", name="Other Lab")
    Paper.objects.filter(pk=paper.pk).update(organization=other)
    assert b"Link to organization" not in as_alice.get("/papers/2403.01779").content
    assert (
        as_alice.post("/papers/2403.01779/organization", {"organization": "acme"}).status_code
        == 403
    )
    assert as_alice.post("/papers/2403.01779/organization", {"organization": ""}).status_code == 403
    paper.refresh_from_db()
    assert paper.organization == other


def test_a_link_made_meanwhile_by_another_organization_is_not_overwritten(
    member, organization, paper
):
    other = Organization.objects.create(slug="other", name="Other Lab")
    stale = Paper.objects.get(pk=paper.pk)  # read before the other member's link
    Paper.objects.filter(pk=paper.pk).update(organization=other)
    with pytest.raises(PermissionDenied, match="belongs to Other Lab"):
        link_to_organization(member, stale, organization)
    paper.refresh_from_db()
    assert paper.organization == other


def test_memberships_in_the_admin(client, staff, alice, organization):
    client.force_login(staff)
    response = client.post(
        "/admin/community/membership/add/", {"user": alice.pk, "organization": organization.pk}
    )
    assert response.status_code == 302
    assert alice.memberships.get().organization == organization
