"""deploy/ files agree with each other: Kubernetes args, ports and config match the compose
files and deploy/config/plano.yaml; the Dockerfiles expose what compose publishes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
SERVICES = ("llm-gateway", "brightstaff", "prompt-gateway")


def _compose(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / name / "compose.yaml").read_text())["services"][name])


def _manifests(name: str) -> dict[str, Any]:
    docs = yaml.safe_load_all((DEPLOY / "kubernetes" / f"{name}.yaml").read_text())
    return {doc["kind"]: doc for doc in docs}


@pytest.mark.parametrize("name", SERVICES)
def test_kubernetes_matches_compose(name: str) -> None:
    compose = _compose(name)
    manifests = _manifests(name)
    assert set(manifests) == {"Deployment", "Service", "HorizontalPodAutoscaler"}
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"] == [str(arg) for arg in compose["command"]]
    published = {int(str(port).split(":")[-1]) for port in compose["ports"]}
    assert {port["containerPort"] for port in container["ports"]} == published
    assert {port["port"] for port in manifests["Service"]["spec"]["ports"]} == published
    env_names = {item["name"] for item in container["env"]}
    assert set(compose["environment"]) <= env_names
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert manifests["Deployment"]["spec"]["replicas"] >= 2


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_exposes_what_compose_publishes(name: str) -> None:
    text = (DEPLOY / name / "Dockerfile").read_text()
    exposed = {int(port) for port in re.search(r"^EXPOSE (.*)$", text, re.M).group(1).split()}  # type: ignore[union-attr]
    published = {int(str(port).split(":")[-1]) for port in _compose(name)["ports"]}
    assert exposed <= published
    assert "USER 10001:10001" in text
    assert "HEALTHCHECK" in text


def test_configmap_carries_the_compose_config() -> None:
    configmap = yaml.safe_load((DEPLOY / "kubernetes" / "configmap.yaml").read_text())
    assert configmap["data"]["config.yaml"] == (DEPLOY / "config" / "plano.yaml").read_text()


def test_all_in_one_compose_extends_each_service_file() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    for name in SERVICES:
        assert services[name]["extends"] == {"file": f"{name}/compose.yaml", "service": name}
    assert {"redis", "postgres", "otel-collector", "prometheus", "grafana"} <= set(services)


def test_prometheus_scrapes_each_metrics_port() -> None:
    scrape = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())["scrape_configs"]
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in scrape}
    for name in SERVICES:
        port = _compose(name)["environment"]["PLANO_METRICS_PORT"]
        assert targets[name] == [f"{name}:{port}"]
