"""Create the raw-upload and media buckets and set their CORS rules (idempotent)."""

from django.core.management.base import BaseCommand

from videoplatform.storage import ensure_buckets


class Command(BaseCommand):
    help = "Create the S3 buckets that are missing and apply the CORS rules browser uploads need."

    def handle(self, *args, **options):
        created = ensure_buckets()
        for line in created:
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                "buckets ready" if not created else f"{len(created)} bucket(s) created"
            )
        )
