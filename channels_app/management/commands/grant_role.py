"""Grant (or with --revoke, take away) a role from an account."""

from django.core.management.base import BaseCommand, CommandError

from channels_app.accounts import normalize_email, user_set_role
from channels_app.models import Role
from channels_app.selectors import user_get_by_email


class Command(BaseCommand):
    help = "Grant or revoke the admin or moderator role."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args, email: str, role: str, revoke: bool, **options):
        user = user_get_by_email(normalize_email(email))
        if user is None:
            raise CommandError(f"No account with email {email}.")
        user_set_role(user=user, role=Role(role), granted=not revoke)
        verb = "revoked" if revoke else "granted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {role} for {user.email}"))
