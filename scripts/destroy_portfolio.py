#!/usr/bin/env python3
"""Remove the portfolio stack, but only when no provisioned product of it is left.

Terminating the portfolio under live provisioned products would orphan them (their
stacks keep running, unmanaged). This lists them and refuses; otherwise it runs
`cdk destroy`. The image repositories are retained (they may hold the only copy of
an image a running task uses): delete them by hand when you are sure.

    python scripts/destroy_portfolio.py [--region R] [--profile P] [--yes]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
STACK = "MlflowPlatformPortfolio"
EXIT_REFUSED = 3


@dataclass(frozen=True)
class Provisioned:
    name: str
    product_id: str
    status: str
    owner: str


def portfolio_product_ids(cloudformation: Any, stack: str = STACK) -> list[str]:
    """Product IDs from the portfolio stack's outputs (…ProductId)."""
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return [
        o["OutputValue"]
        for o in described.get("Outputs", [])
        if o["OutputKey"].endswith("ProductId")
    ]


def provisioned_products(servicecatalog: Any, product_ids: list[str]) -> list[Provisioned]:
    """Every provisioned product of these products in the account (all users)."""
    found: list[Provisioned] = []
    for product_id in product_ids:
        token = None
        while True:
            kwargs: dict[str, Any] = {
                "AccessLevelFilter": {"Key": "Account", "Value": "self"},
                "Filters": {"SearchQuery": [f"productId:{product_id}"]},
                "PageSize": 100,
            }
            if token:
                kwargs["PageToken"] = token
            page = servicecatalog.search_provisioned_products(**kwargs)
            found += [
                Provisioned(
                    p["Name"],
                    product_id,
                    p.get("Status", "?"),
                    p.get("UserArnSession") or p.get("UserArn", "?"),
                )
                for p in page.get("ProvisionedProducts", [])
            ]
            token = page.get("NextPageToken")
            if not token:
                break
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region")
    parser.add_argument("--profile")
    parser.add_argument("--yes", action="store_true", help="do not ask before destroying")
    args = parser.parse_args(argv)
    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    ids = portfolio_product_ids(session.client("cloudformation"))
    left = provisioned_products(session.client("servicecatalog"), ids)
    if left:
        print(
            f"Refusing to destroy {STACK}: {len(left)} provisioned product(s) still exist.",
            file=sys.stderr,
        )
        for p in left:
            print(f"  {p.name:40} {p.status:14} {p.owner}", file=sys.stderr)
        print("Terminate them first (mlflow-platform down NAME, or the console).", file=sys.stderr)
        return EXIT_REFUSED
    print(f"No provisioned products left; destroying {STACK}. The ECR repositories are retained.")
    cmd = [str(ROOT / "node_modules/.bin/cdk"), "destroy", STACK]
    if args.yes:
        cmd.append("--force")
    return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
