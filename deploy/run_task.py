"""``make deploy`` last step: run the one-off maintenance task (migrate_data, which runs
ensure_tables first) on the deployed cluster and wait for it; a non-zero exit fails the
deploy. Reads what it needs from the compute stack's outputs.

Given a command, the same task runs that instead, with the same image, settings and
role: ``python -m deploy.run_task python manage.py search_reindex``."""

import sys

import boto3

from deploy.build import STACK_PREFIX

COMPUTE_STACK = f"{STACK_PREFIX}-Compute"


def stack_outputs(name: str) -> dict[str, str]:
    stack = boto3.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def main(command: list[str] | None = None) -> int:
    outputs = stack_outputs(COMPUTE_STACK)
    ecs = boto3.client("ecs")
    overrides = {"containerOverrides": [{"name": "app", "command": command}]} if command else {}
    started = ecs.run_task(
        cluster=outputs["ClusterName"],
        taskDefinition=outputs["MaintenanceTaskDefinition"],
        launchType="FARGATE",
        count=1,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": outputs["MaintenanceSubnets"].split(","),
                "securityGroups": [outputs["MaintenanceSecurityGroup"]],
                "assignPublicIp": "DISABLED",
            }
        },
        overrides=overrides,
    )
    if started.get("failures") or not started.get("tasks"):
        print(f"maintenance task did not start: {started.get('failures')}", file=sys.stderr)
        return 1
    task_arn = started["tasks"][0]["taskArn"]
    print(f"maintenance task {task_arn} started; waiting")
    ecs.get_waiter("tasks_stopped").wait(
        cluster=outputs["ClusterName"],
        tasks=[task_arn],
        WaiterConfig={"Delay": 15, "MaxAttempts": 240},
    )
    task = ecs.describe_tasks(cluster=outputs["ClusterName"], tasks=[task_arn])["tasks"][0]
    code = task["containers"][0].get("exitCode")
    if code != 0:
        print(f"maintenance task failed (exit {code}): {task.get('stoppedReason')}")
        return 1
    print("maintenance task finished")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
