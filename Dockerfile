# CertQuest bot image: `certquest run` as a non-root user, runtime dependencies only.
# Build: docker compose build (see docs/deploy.md). Python 3.11 is what the project tests on.

# --- build: a wheel of the project (sources never reach the final image) ----------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# .dockerignore keeps tests, caches, .env and the git history out of the context
COPY . .
RUN pip wheel --no-deps --wheel-dir /wheels .

# --- runtime -----------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# the runtime dependencies at the locked versions, then the project's wheel (no dev extra)
COPY requirements/runtime.lock /tmp/runtime.lock
RUN pip install -r /tmp/runtime.lock && rm /tmp/runtime.lock
COPY --from=build /wheels /wheels
RUN pip install --no-deps /wheels/certquest-*.whl && rm -rf /wheels
RUN groupadd --system --gid 10001 certquest \
    && useradd --system --uid 10001 --gid certquest --create-home --home-dir /home/certquest \
       --shell /usr/sbin/nologin certquest
USER certquest
WORKDIR /home/certquest
# compose sets DATABASE_URL and HEALTH_FILE; the secrets come from .env (env_file)
CMD ["certquest", "run"]
