"""DynamoDB: one table per PynamoDB model, generated from the models themselves.

On-demand billing (as ``ensure_tables`` creates them), point-in-time recovery,
deletion protection, and TTL on the attribute each model names. No table has a stream:
nothing consumes one today (fan-out runs as FanoutTasks, not from a stream); add it
with its consumer.
"""

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from deploy.app_schema import IndexSpec, KeyAttr, TableSpec

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}


def _attribute(key: KeyAttr | None) -> dynamodb.Attribute | None:
    if key is None:
        return None
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type])


class DataStack(Stack):
    def __init__(
        self, scope: Construct, id: str, *, specs: list[TableSpec], table_prefix: str, **kwargs
    ):
        super().__init__(scope, id, **kwargs)
        self.table_prefix = table_prefix
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in specs:
            self.tables[spec.suffix] = self._table(spec)

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            spec.suffix,
            table_name=f"{self.table_prefix}{spec.suffix}",
            partition_key=_attribute(spec.hash_key),
            sort_key=_attribute(spec.range_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            time_to_live_attribute=spec.ttl_attribute,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in spec.indexes:
            self._index(table, index)
        return table

    @staticmethod
    def _index(table: dynamodb.Table, index: IndexSpec) -> None:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=_attribute(index.hash_key),
            sort_key=_attribute(index.range_key),
            projection_type=_PROJECTIONS[index.projection],
            non_key_attributes=list(index.non_key_attributes) or None,
        )

    @property
    def table_names(self) -> list[str]:
        return [f"{self.table_prefix}{suffix}" for suffix in self.tables]
