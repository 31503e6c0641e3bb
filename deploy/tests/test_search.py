"""The search domain: placement, encryption, who may call it, and the search worker."""

import json

from deploy.iam import SEARCH_READ_ACTIONS, SEARCH_WRITE_ACTIONS
from deploy.tests.templates import listed, resources
from deploy.tests.test_compute import role_statements


def domain(template: dict) -> tuple[str, dict]:
    ((logical_id, resource),) = resources(template, "AWS::OpenSearchService::Domain").items()
    return logical_id, resource["Properties"]


def containers(template: dict) -> dict[str, dict]:
    return {
        logical_id: r["Properties"]["ContainerDefinitions"][0]
        for logical_id, r in resources(template, "AWS::ECS::TaskDefinition").items()
    }


def security_group_of_service(template: dict, prefix: str) -> str:
    (group,) = [
        logical_id
        for logical_id in resources(template, "AWS::EC2::SecurityGroup")
        if logical_id.startswith(prefix)
    ]
    return group


class TestSearchDomain:
    def test_encrypted_https_only_in_the_private_subnets_of_two_zones(self, synthesized):
        _, props = domain(synthesized.templates["compute"])
        assert props["EncryptionAtRestOptions"] == {"Enabled": True}
        assert props["NodeToNodeEncryptionOptions"] == {"Enabled": True}
        assert props["DomainEndpointOptions"] == {
            "EnforceHTTPS": True,
            "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07",
        }
        assert props["EngineVersion"].startswith("OpenSearch_")
        cluster = props["ClusterConfig"]
        assert cluster["InstanceCount"] == 2
        assert cluster["ZoneAwarenessEnabled"] is True
        assert cluster["ZoneAwarenessConfig"] == {"AvailabilityZoneCount": 2}
        subnets = props["VPCOptions"]["SubnetIds"]
        assert len(subnets) == 2
        assert all(s["Ref"].startswith("Networkapp") for s in subnets)  # private subnets
        assert props["EBSOptions"]["VolumeType"] == "gp3"
        published = props["LogPublishingOptions"]
        assert {"SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS", "ES_APPLICATION_LOGS"} <= set(published)
        assert all(option["Enabled"] for option in published.values())

    def test_domain_policy_defers_to_iam_in_this_account(self, synthesized):
        """No anonymous access: the account's IAM decides, on this domain's paths only."""
        _, props = domain(synthesized.templates["compute"])
        (statement,) = props["AccessPolicies"]["Statement"]
        assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
        assert statement["Resource"] == (
            f"arn:aws:es:us-east-1:123456789012:domain/{props['DomainName']}/*"
        )
        assert all(a.startswith("es:ESHttp") for a in listed(statement["Action"]))
        assert "AdvancedSecurityOptions" not in props  # no internal users or passwords

    def test_task_roles_reach_only_this_domain(self, synthesized):
        """The web reads, the search worker and the one-off task write; each statement
        naming an es: action names only the domain and its paths; nobody else has one."""
        template = synthesized.templates["compute"]
        logical_id, _ = domain(template)
        arn = {"Fn::GetAtt": [logical_id, "Arn"]}
        expected = {
            "Web": sorted(SEARCH_READ_ACTIONS),
            "SearchWorker": SEARCH_WRITE_ACTIONS,
            "Maintenance": SEARCH_WRITE_ACTIONS,
            "NotificationWorker": [],
            "ReconcileTranscodes": [],
            "ReconcileLive": [],
        }
        for role, actions in expected.items():
            statements = [
                s
                for s in role_statements(template, f"{role}TaskRole")
                if any(a.startswith("es:") for a in listed(s["Action"]))
            ]
            assert sorted(a for s in statements for a in listed(s["Action"])) == actions, role
            for statement in statements:
                assert statement["Resource"] == [
                    arn,
                    {"Fn::Join": ["", [arn, "/*"]]},
                ], role

    def test_only_the_callers_reach_port_443(self, synthesized):
        template = synthesized.templates["compute"]
        _, props = domain(template)
        ((group_ref,),) = [[g["Fn::GetAtt"][0] for g in props["VPCOptions"]["SecurityGroupIds"]]]
        ingress = [
            r["Properties"]
            for r in resources(template, "AWS::EC2::SecurityGroupIngress").values()
            if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group_ref, "GroupId"]}
        ]
        assert {(rule["FromPort"], rule["ToPort"], rule["IpProtocol"]) for rule in ingress} == {
            (443, 443, "tcp")
        }
        sources = {rule["SourceSecurityGroupId"]["Fn::GetAtt"][0] for rule in ingress}
        assert sources == {
            security_group_of_service(template, "WebServiceSecurityGroup"),
            security_group_of_service(template, "SearchWorkerServiceSecurityGroup"),
            security_group_of_service(template, "MaintenanceTasks"),
        }
        groups = resources(template, "AWS::EC2::SecurityGroup")
        assert "SecurityGroupIngress" not in groups[group_ref]["Properties"]

    def test_the_service_may_write_the_domain_logs_only(self, synthesized):
        template = synthesized.templates["compute"]
        (policy,) = resources(template, "AWS::Logs::ResourcePolicy").values()
        text = json.dumps(policy["Properties"]["PolicyDocument"])
        assert "es.amazonaws.com" in text
        assert "aws:SourceAccount" in text and "domain/videoplatform-search" in text
        # No custom resource (and no Lambda function) is needed for the domain.
        assert not resources(template, "AWS::Lambda::Function")


class TestSearchWorker:
    def test_worker_runs_the_search_worker_with_the_domain_settings(self, synthesized):
        template = synthesized.templates["compute"]
        (worker,) = [c for i, c in containers(template).items() if i.startswith("SearchWorker")]
        assert worker["Command"] == ["python", "manage.py", "search_worker"]
        logical_id, _ = domain(template)
        for logical, container in containers(template).items():
            env = {e["Name"]: e["Value"] for e in container["Environment"]}
            assert env["SEARCH_BACKEND"] == "opensearch", logical
            assert env["OPENSEARCH_SERVICE"] == "es", logical
            assert env["OPENSEARCH_ENDPOINT"] == {
                "Fn::Join": ["", ["https://", {"Fn::GetAtt": [logical_id, "DomainEndpoint"]}]]
            }, logical

    def test_one_search_worker_at_a_time(self, synthesized):
        template = synthesized.templates["compute"]
        (service,) = [
            r["Properties"]
            for i, r in resources(template, "AWS::ECS::Service").items()
            if i.startswith("SearchWorkerService")
        ]
        assert service["DesiredCount"] == 1
        assert service["DeploymentConfiguration"]["MaximumPercent"] == 100
