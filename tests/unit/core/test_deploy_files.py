"""compose.yaml, Dockerfile and .dockerignore say what docs/deploy.md promises.

Docker does not run on the test machines, so these read the files: the service graph and its
conditions, the healthchecks, the pinned PostgreSQL, the named volume, the secrets from .env,
and an image that runs `certquest run` as a non-root user without the dev extra.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs in the dev extra

from bot.cli import build_parser
from bot.core.settings import load_settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


def command_line(value: str | list[str]) -> str:
    return value if isinstance(value, str) else shlex.join(value)


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:?message}`` and ``${NAME:-default}``."""

    def sub(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if op == ":-":
            return arg or ""
        raise AssertionError(f"{name} is required: {arg}")

    return re.sub(r"\$\{(\w+)(?:(:[?-])([^}]*))?\}", sub, value)


def test_three_services_postgres_migrate_bot(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", "migrate", "bot"}


def test_postgres_is_pinned_to_a_major_version_with_a_named_volume_and_a_healthcheck(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    pg = services["postgres"]
    match = re.fullmatch(r"postgres:(\d+)(?:\.\d+)?(?:-alpine|-bookworm)?", pg["image"])
    assert match, f"pin a PostgreSQL major version, not {pg['image']!r}"
    assert int(match.group(1)) >= 13  # DROP DATABASE … WITH (FORCE) in the tests, SKIP LOCKED

    volumes = compose.get("volumes") or {}
    mounts = [v.split(":") for v in pg["volumes"]]
    named = [(src, dst) for src, dst, *_ in mounts if src in volumes]
    assert named == [("pgdata", "/var/lib/postgresql/data")], "data lives in a named volume"

    check = command_line(pg["healthcheck"]["test"])
    assert "pg_isready" in check
    assert pg["healthcheck"]["retries"] >= 3
    assert pg["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert pg.get("ports") is None, "the database is not published on the host"


def test_migrate_runs_once_after_postgres_is_healthy(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    assert "certquest db upgrade && certquest db seed" in command_line(migrate["command"])
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate.get("restart", "no") == "no", "a one-shot job must not restart"
    for step in ("upgrade", "seed"):
        assert build_parser().parse_args(["db", step]).db_command == step


def test_the_bot_starts_after_a_successful_migration(services: dict[str, Any]) -> None:
    bot = services["bot"]
    assert bot["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert bot["restart"] == "unless-stopped"
    assert bot.get("command") is None, "the image's CMD is `certquest run`"
    assert bot.get("ports") is None, "the bot serves nothing"


@pytest.mark.parametrize("name", ["migrate", "bot"])
def test_secrets_come_from_dotenv_and_the_database_is_the_postgres_service(
    services: dict[str, Any], name: str
) -> None:
    service = services[name]
    env_files = service["env_file"]
    assert (env_files if isinstance(env_files, list) else [env_files]) == [".env"]
    assert "DISCORD_TOKEN" not in service["environment"], "the token stays in .env"
    url = interpolate(service["environment"]["DATABASE_URL"], {"POSTGRES_PASSWORD": "pw123"})
    assert url == "postgresql+asyncpg://certquest:pw123@postgres:5432/certquest"
    pg = services["postgres"]["environment"]
    assert (pg["POSTGRES_USER"], pg["POSTGRES_DB"]) == ("certquest", "certquest")
    settings = load_settings(database_url=url, _env_file=None)
    assert not settings.is_sqlite
    assert service["image"] == services["bot"]["image"], "one image for both"


def test_the_password_is_required_and_documented(compose: dict[str, Any]) -> None:
    text = (ROOT / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    assert used == {"POSTGRES_PASSWORD"}
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD is required"):
        interpolate(compose["services"]["bot"]["environment"]["DATABASE_URL"], {})
    example = (ROOT / ".env.example").read_text()
    assert re.search(r"^POSTGRES_PASSWORD=$", example, re.M), "listed, empty, in .env.example"


def test_the_bot_is_healthy_while_its_heartbeat_file_is_fresh(services: dict[str, Any]) -> None:
    bot = services["bot"]
    health_file = bot["environment"]["HEALTH_FILE"]
    assert health_file.startswith("/tmp/"), "writable by the non-root user"
    check = bot["healthcheck"]
    test = check["test"]
    assert test[0] == "CMD" and test[1:3] == ["certquest", "health"]
    args = build_parser().parse_args(test[2:])
    assert args.command == "health" and args.max_age == 60
    # the bot touches the file every 30 s; it only exists once the bot is connected
    assert check["start_period"] in ("60s", "90s", "120s")
    assert check["interval"] == "30s" and check["retries"] >= 2


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = dockerfile_instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def test_the_image_is_slim_python_and_runs_certquest_as_a_non_root_user() -> None:
    stage = final_stage()
    base = stage[0][1].split()[0]
    assert re.fullmatch(r"python:3\.1[12]-slim(-\w+)?", base), base
    users = [rest for word, rest in stage if word == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    user_at = max(i for i, (word, _) in enumerate(stage) if word == "USER")
    cmd = [rest for word, rest in stage if word == "CMD"]
    assert cmd == ['["certquest", "run"]']
    assert all(word != "CMD" for word, _ in stage[:user_at]), "USER comes before CMD"


def test_the_image_installs_no_dev_dependencies() -> None:
    runs = " ".join(rest for word, rest in dockerfile_instructions() if word == "RUN")
    assert "pip install" in runs or "pip wheel" in runs
    assert "[dev]" not in runs and "-e ." not in runs and "--editable" not in runs
    for tool in ("pytest", "ruff", "mypy", "hypothesis"):
        assert tool not in runs


def test_the_build_context_leaves_out_secrets_tests_and_caches() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".git", ".venv", "tests"} <= ignored
    copies = [rest for word, rest in dockerfile_instructions() if word in ("COPY", "ADD")]
    assert not any(".env" in c for c in copies)


def _locked(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if "==" in line and not line.startswith(("#", " ")):
            package, version = line.split("==", 1)
            pins[package.strip().lower().replace("_", "-").replace(".", "-")] = version.strip()
    return pins


def _requirement_names(specs: list[str]) -> set[str]:
    import re

    names = set()
    for spec in specs:
        name = re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]
        if name != "certquest":
            names.add(name.lower().replace("_", "-").replace(".", "-"))
    return names


def test_every_dependency_is_pinned_in_the_locks() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _requirement_names(project["dependencies"])
    extras = project["optional-dependencies"]
    dev = runtime | _requirement_names(extras["dev"]) | _requirement_names(extras["bench"])
    assert runtime - _locked("runtime.lock").keys() == set()
    assert dev - _locked("dev.lock").keys() == set()
    shared = _locked("runtime.lock").keys() & _locked("dev.lock").keys()
    assert {p for p in shared if _locked("runtime.lock")[p] != _locked("dev.lock")[p]} == set()


def test_ci_the_run_script_and_the_image_install_from_the_locks() -> None:
    assert "requirements/dev.lock" in (ROOT / "scripts" / "test.sh").read_text()
    assert "requirements/runtime.lock" in (ROOT / "scripts" / "run.sh").read_text()
    assert "runtime.lock" in (ROOT / "Dockerfile").read_text()
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text() or "scripts/test.sh" in (
        ROOT / ".ci" / "run"
    ).read_text()
