"""Reading synthesized CloudFormation templates in the tests."""

from django.conf import settings


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def listed(value) -> list:
    return value if isinstance(value, list) else [value]


def model_tables() -> dict[str, dict]:
    """What each PynamoDB model declares, by deployed table name (prefix vp_)."""
    from videoplatform.dynamodb import registered_models

    tables = {}
    for model in registered_models():
        schema = model._get_schema()
        name = "vp_" + model.Meta.table_name.removeprefix(settings.DYNAMODB_TABLE_PREFIX)
        tables[name] = {
            "keys": {(k["AttributeName"], k["KeyType"]) for k in schema["key_schema"]},
            "indexes": {
                index["index_name"]: (
                    frozenset((k["AttributeName"], k["KeyType"]) for k in index["key_schema"]),
                    index["projection"]["ProjectionType"],
                    tuple(sorted(index["projection"].get("NonKeyAttributes", []))),
                )
                for index in schema.get("global_secondary_indexes", [])
            },
            "ttl": getattr(model.Meta, "ttl_attribute", None),
        }
    return tables
