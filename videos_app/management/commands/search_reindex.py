"""Rebuild the whole search index from DynamoDB, aside from the live one, then swap."""

import os
import socket

from django.core.management.base import BaseCommand

from videos_app.search.indexer import rebuild
from videos_app.search.loader import get_search_backend


class Command(BaseCommand):
    help = (
        "Rebuild the search index from DynamoDB: page by page into a new index that "
        "readers do not see until it is complete. An interrupted rebuild resumes."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be indexed; write nothing."
        )
        parser.add_argument(
            "--restart",
            action="store_true",
            help="Abandon an unfinished rebuild and begin a new one.",
        )
        parser.add_argument("--page-size", type=int, default=200)

    def handle(self, *args, dry_run: bool, restart: bool, page_size: int, **options):
        holder = f"reindex:{socket.gethostname()}:{os.getpid()}"
        tally = rebuild(
            backend=get_search_backend(),
            holder=holder,
            page_size=max(1, min(page_size, 1000)),
            dry_run=dry_run,
            restart=restart,
            say=self.stdout.write,
        )
        found = ", ".join(f"{source}={count}" for source, count in tally.found.items())
        if dry_run:
            self.stdout.write(f"Would index: {found}")
        else:
            self.stdout.write(f"Indexed: {found}; now serving {tally.target}.")
