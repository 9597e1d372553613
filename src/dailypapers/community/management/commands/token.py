from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dailypapers.community.models import ApiToken


class Command(BaseCommand):
    help = "Manage API tokens: create one for a user (shown once), list or revoke them."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="issue a token for USERNAME")
        create.add_argument("username")
        create.add_argument("--name", default="", help="a label, e.g. the script using it")
        create.add_argument(
            "--read-only", action="store_true", help="the token may not upvote or submit"
        )
        listing = actions.add_parser("list", help="a user's tokens")
        listing.add_argument("username")
        revoke = actions.add_parser("revoke", help="revoke a token by its last four characters")
        revoke.add_argument("username")
        revoke.add_argument("hint")

    def handle(self, *args, action, username, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}") from None
        if action == "create":
            _, plain = ApiToken.objects.issue(
                user, options["name"], can_write=not options["read_only"]
            )
            self.stdout.write(plain)
        elif action == "list":
            for token in user.api_tokens.order_by("created_at"):
                access = "read-write" if token.can_write else "read-only"
                self.stdout.write(
                    f"…{token.hint}  {access}  {token.name}  created {token.created_at:%Y-%m-%d}"
                )
        else:
            deleted, _ = user.api_tokens.filter(hint=options["hint"]).delete()
            if not deleted:
                raise CommandError(f"no token ending in {options['hint']!r} for {username}")
            self.stdout.write(f"revoked {deleted} token(s)")
