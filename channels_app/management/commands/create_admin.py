"""Create an admin account, or promote an existing account to admin."""

from django.core.management.base import BaseCommand, CommandError

from channels_app.accounts import admin_create_or_promote
from videoplatform.errors import ApplicationError


class Command(BaseCommand):
    help = "Create an admin account with a password, or give an existing account the admin role."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, email: str, password: str, **options):
        try:
            user, created = admin_create_or_promote(email=email, password=password)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        verb = "created" if created else "promoted"
        self.stdout.write(self.style.SUCCESS(f"{verb} admin {user.email} ({user.user_id})"))
