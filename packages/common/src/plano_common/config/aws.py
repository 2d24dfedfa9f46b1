"""Region and credentials of Amazon Bedrock providers.

Precedence for each value: the provider's `aws:` block, then (region only) the host of
`base_url` (`bedrock-runtime.<region>.amazonaws.com`), then the environment (`AWS_REGION`,
`AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
including a `.env` beside the config). A provider `access_key` is a Bedrock API key sent as a
bearer token and takes precedence over SigV4 credentials at request time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from plano_common.config.document import AwsEntry
from plano_common.config.types import AwsSettings

_BEDROCK_HOST = re.compile(r"^bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


def region_from_host(host: str) -> str | None:
    """`us-west-2` from `bedrock-runtime.us-west-2.amazonaws.com`, else None."""
    match = _BEDROCK_HOST.match(host)
    return match.group(1) if match else None


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
