"""``make deploy`` step one: stop with a clear message when no AWS credentials are
configured, before the CDK CLI is even started."""

import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError


def main() -> int:
    try:
        identity = boto3.client("sts").get_caller_identity()
    except NoCredentialsError:
        print(
            "No AWS credentials are configured: set AWS_PROFILE (aws sso login) or "
            "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, then run make deploy again.",
            file=sys.stderr,
        )
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"The AWS credentials were refused or AWS is unreachable: {error}", file=sys.stderr)
        return 1
    print(f"deploying as {identity['Arn']} (account {identity['Account']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
