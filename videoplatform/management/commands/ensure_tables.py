"""Create every registered DynamoDB table (and missing GSIs, and TTL) that does not exist.

Idempotent: a second run reports that everything exists and changes nothing.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import registered_models

# Backfilling a GSI on a large AWS table can take a while; DynamoDB Local takes a moment.
INDEX_WAIT_S = 1800


class Command(BaseCommand):
    help = "Create the DynamoDB tables, indexes and TTL settings that are missing."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report only.")

    def handle(self, *args, dry_run: bool = False, verbosity: int = 1, **options):
        client = dynamodb_client()
        created = 0
        for model in registered_models():
            name = model.Meta.table_name
            if not model.exists():
                created += 1
                self.stdout.write(f"create table {name}")
                if not dry_run:
                    model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            else:
                created += self._add_missing_indexes(client, model, dry_run)
                if verbosity > 1:
                    self.stdout.write(f"exists {name}")
            ttl = getattr(model.Meta, "ttl_attribute", None)
            if ttl and not dry_run:
                created += self._ensure_ttl(client, name, ttl)
        if created:
            verb = "would apply" if dry_run else "applied"
            self.stdout.write(self.style.SUCCESS(f"{verb} {created} change(s)"))
        else:
            self.stdout.write(self.style.SUCCESS("all tables, indexes and TTL settings exist"))

    def _add_missing_indexes(self, client, model, dry_run: bool) -> int:
        name = model.Meta.table_name
        described = client.describe_table(TableName=name)["Table"]
        existing = {gsi["IndexName"] for gsi in described.get("GlobalSecondaryIndexes", [])}
        schema = model._get_schema()
        wanted = schema.get("global_secondary_indexes", [])
        changes = 0
        for index in wanted:
            if index["index_name"] in existing:
                continue
            changes += 1
            self.stdout.write(f"add index {index['index_name']} to {name}")
            if dry_run:
                continue
            key_names = {k["AttributeName"] for k in index["key_schema"]}
            client.update_table(
                TableName=name,
                AttributeDefinitions=[
                    a for a in schema["attribute_definitions"] if a["AttributeName"] in key_names
                ],
                GlobalSecondaryIndexUpdates=[
                    {
                        "Create": {
                            "IndexName": index["index_name"],
                            # DynamoDB rejects RANGE before HASH; PynamoDB's schema
                            # lists key attributes in name order, not key order.
                            "KeySchema": sorted(index["key_schema"], key=lambda k: k["KeyType"]),
                            "Projection": index["projection"],
                        }
                    }
                ],
            )
            self._wait_for_index(client, name, index["index_name"])
        return changes

    def _wait_for_index(self, client, name: str, index_name: str) -> None:
        # A new index is CREATING for a while: AWS refuses queries on it (and another
        # index update on the table), DynamoDB Local even fails writes to the table.
        deadline = time.monotonic() + INDEX_WAIT_S
        while time.monotonic() < deadline:
            described = client.describe_table(TableName=name)["Table"]
            statuses = {
                gsi["IndexName"]: gsi.get("IndexStatus")
                for gsi in described.get("GlobalSecondaryIndexes", [])
            }
            if described["TableStatus"] == "ACTIVE" and statuses.get(index_name) == "ACTIVE":
                return
            time.sleep(0.2)
        raise CommandError(f"index {index_name} on {name} did not become ACTIVE")

    def _ensure_ttl(self, client, name: str, attribute: str) -> int:
        current = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}:
            return 0
        self.stdout.write(f"enable TTL on {name}.{attribute}")
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
        )
        return 1
