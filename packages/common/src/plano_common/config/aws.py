"""Region and credentials of Amazon Bedrock providers.

Precedence for each value: the provider's `aws:` block, then (region only) the host of
`base_url` (`bedrock-runtime.<region>.amazonaws.com` and its FIPS, China and VPC endpoint
forms), then the environment (`AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, including a `.env` beside the config). A provider
`access_key` is a Bedrock API key sent as a bearer token and takes precedence over SigV4
credentials at request time. The services take the region and credentials from here only
(`Provider.aws`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from plano_common.config.document import AwsEntry
from plano_common.config.types import AwsSettings

__all__ = ["aws_settings", "region_from_host"]

_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
_RUNTIME_LABELS = frozenset({"bedrock-runtime", "bedrock-runtime-fips"})
_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn")


def region_from_host(host: str) -> str | None:
    """The region of a Bedrock runtime host, else None.

    The label after `bedrock-runtime` names the region, on public, FIPS, China and VPC
    endpoint hosts alike: `bedrock-runtime.us-west-2.amazonaws.com`,
    `bedrock-runtime.cn-north-1.amazonaws.com.cn`,
    `vpce-0a1b-c2d3.bedrock-runtime.us-east-1.vpce.amazonaws.com`.
    """
    name = host.lower().rstrip(".")
    if not name.endswith(_AWS_SUFFIXES):
        return None
    labels = name.split(".")
    for index, label in enumerate(labels[:-1]):
        if label in _RUNTIME_LABELS and _REGION.match(labels[index + 1]):
            return labels[index + 1]
    return None


def aws_settings(entry: AwsEntry | None, host: str, environ: Mapping[str, str]) -> AwsSettings:
    """Resolve a Bedrock provider's region and SigV4 credentials."""
    given = entry or AwsEntry()
    region = (
        given.region
        or region_from_host(host)
        or environ.get("AWS_REGION")
        or environ.get("AWS_DEFAULT_REGION")
    )
    return AwsSettings(
        region=region or None,
        access_key_id=given.access_key_id or environ.get("AWS_ACCESS_KEY_ID") or None,
        secret_access_key=given.secret_access_key or environ.get("AWS_SECRET_ACCESS_KEY") or None,
        session_token=given.session_token or environ.get("AWS_SESSION_TOKEN") or None,
    )
