"""The production stack (docker-compose.yml, Dockerfile) supervises itself: every long-running
process comes back when it exits, none starts before Redis, PostgreSQL and MinIO answer, each
one's health is checked, and MinIO's console and keys are not handed to the world."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from cli.supervisor import read_procfile

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
ONE_SHOT = {"release", "minio-bucket"}
DEPENDENCIES = {"postgres", "redis", "minio"}
PLATFORM = {"web", "worker-transcode", "worker-io", "clock"}


def test_every_long_running_service_is_restarted_when_it_exits() -> None:
    for name, service in SERVICES.items():
        if name in ONE_SHOT:
            assert service.get("restart", "no") in ("no", "on-failure"), name
        else:
            assert service.get("restart") in ("always", "unless-stopped"), name


def test_every_long_running_service_has_a_health_check() -> None:
    for name, service in SERVICES.items():
        if name not in ONE_SHOT:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_the_platform_starts_only_once_its_dependencies_are_healthy() -> None:
    for name in PLATFORM | {"release"}:
        depends = SERVICES[name].get("depends_on", {})
        for dependency in ("postgres", "redis"):
            assert depends.get(dependency, {}).get("condition") == "service_healthy", (
                name,
                dependency,
            )
        assert depends.get("minio-bucket", {}).get("condition") == (
            "service_completed_successfully"
        ), name
    for name in PLATFORM:
        assert SERVICES[name]["depends_on"]["release"]["condition"] == (
            "service_completed_successfully"
        )


def test_every_procfile_process_but_the_agent_runs_in_the_stack() -> None:
    # The agent needs LiveKit and a model provider: a church adds it when it has them.
    names = {line.name for line in read_procfile(ROOT / "Procfile")} - {"agent"}
    assert names <= set(SERVICES)


def _published(service: dict[str, Any]) -> list[str]:
    return [str(port) for port in service.get("ports", [])]


def test_minios_console_and_keys_are_not_published_to_the_world() -> None:
    minio = SERVICES["minio"]
    for port in _published(minio):
        # host:port:container, bound to loopback; a bare "9001:9001" listens on every address.
        assert port.startswith("127.0.0.1:"), port
    keys = yaml.safe_dump(SERVICES["minio"]) + yaml.safe_dump(COMPOSE.get("x-platform", {}))
    assert "cnt-secret-key" not in keys
    assert "MINIO_ROOT_PASSWORD" in yaml.safe_dump(minio)


def test_the_image_holds_every_package_the_project_installs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.MULTILINE))
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"include = \[([^\]]*)\]", pyproject)
    assert packages is not None
    wanted = {name.strip().strip('"').rstrip("*") for name in packages.group(1).split(",")}
    assert wanted <= copied, wanted - copied
    assert "HEALTHCHECK" in dockerfile
