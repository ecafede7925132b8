# Blogroll's image, in stages: `builder` installs the locked dependencies and the app into a virtual
# environment; `runtime` (the last stage, so the default target) receives only that environment.
# `dev` is the hot-reload variant that compose.override.yaml builds. Docs: docs/docker.md.
# No `# syntax=` line on purpose: the engine's built-in Dockerfile frontend has everything used here,
# and machines without a registry cannot fetch another one.

# uv comes from its own image, pinned by tag so every build resolves and installs the same way.
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# ---------------------------------------------------------------------------------------------------
# base: what every stage shares, so the venv is built and run by the very same Python.
# Pinned by tag (digests cannot be resolved on machines without a registry).
FROM python:3.13-slim AS base
# OCI labels that say what every image built from here is (dev included; `docker image ls --filter
# label=org.opencontainers.image.title=Blogroll` finds them all).
LABEL org.opencontainers.image.title="Blogroll" \
      org.opencontainers.image.description="A self-hostable blogroll and feed aggregator (a planet)." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="docker.io/library/python:3.13-slim"
# A fixed, unprivileged UID/GID so volumes, secret files and Kubernetes `runAsUser` can rely on it.
RUN groupadd --system --gid 10001 blogroll \
 && useradd --system --uid 10001 --gid blogroll --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin blogroll
# Logs reach `docker logs` unbuffered; no .pyc writes at runtime (they are compiled at build time and
# the root filesystem is read-only); the venv comes first on PATH, so `blogroll` is the app's command.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/app/.venv/bin:$PATH
# Everything of the app lives in /app; it is also where `blogroll` runs from.
WORKDIR /app
# Where secret files are mounted, and where the embedded SQLite mode (`blogroll run`) keeps its data.
# Owned by the app user, so a fresh named volume mounted on either takes that owner: the one-shot
# `secrets` service (compose.yaml) writes into it without root.
RUN install --directory --owner=10001 --group=10001 --mode=0750 /run/secrets /data
ENV BLOGROLL_DATA_DIR=/data
# Listen on every interface of the container (the app's default, 127.0.0.1, is unreachable from the
# proxy) on the port the health check and the proxy use.
ENV BLOGROLL_HOST=0.0.0.0 BLOGROLL_PORT=8000
# Documents the port the web server listens on; only the proxy publishes anything to the host.
EXPOSE 8000
# Liveness in Python, as slim images have no curl; no proxies, a short timeout, exit 1 on any error.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request as u; o = u.build_opener(u.ProxyHandler({})); sys.exit(0 if o.open(f\"http://127.0.0.1:{os.environ.get('BLOGROLL_PORT', '8000')}/healthz\", timeout=4).status == 200 else 1)"]

# ---------------------------------------------------------------------------------------------------
# builder: resolves nothing, only installs what uv.lock says.
FROM base AS builder
# `strip` (binutils) for the trimming step below; installed in the builder only, never in the runtime.
RUN apt-get update \
 && apt-get install --yes --no-install-recommends binutils \
 && rm -rf /var/lib/apt/lists/*
# Only the uv binary; it never reaches the runtime image.
COPY --from=uv /uv /bin/uv
# Compile bytecode at install time (faster start, and the runtime cannot write it); copy files out of
# the cache mount instead of hard-linking across filesystems; use the image's Python, never download one.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3
# Dependencies first, from the lock file alone: this layer is reused until pyproject.toml or uv.lock
# change, so a code edit does not reinstall them. The cache mount keeps downloads between builds.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-dev --no-install-project
# Trim what the runtime never uses, in this cached layer (a code edit does not redo it): debug symbols
# of the extension modules (not the vendored `*.libs/`, which auditwheel rewrote), and the test suites
# packages ship (`tests/`, and the `testing/` harnesses only test runs import). dist-info stays, so the
# versions still match uv.lock (only RECORD's hashes of trimmed files go stale). Sizes: BENCHMARKS.md.
RUN find /app/.venv -type f -name '*.so' -not -path '*.libs/*' -exec strip --strip-unneeded {} + \
 && find /app/.venv/lib -depth -type d -name tests -path '*/site-packages/*' -exec rm -rf {} + \
 && rm -rf /app/.venv/lib/python3.*/site-packages/sqlalchemy/testing \
           /app/.venv/lib/python3.*/site-packages/alembic/testing \
           /app/.venv/lib/python3.*/site-packages/mako/testing
# Babel ships the CLDR data of every locale (~35 MB); keep only the languages Blogroll serves (English,
# Spanish: src/blogroll/i18n.py) and `root`, which every locale inherits from (Locale.parse('es')
# reads es.dat, then root.dat). A language added to Blogroll is added here too (docs/languages.md);
# `-name` is exact, so regional variants such as es_MX.dat go as well (the app only uses `es`).
RUN find /app/.venv/lib/python3.*/site-packages/babel/locale-data -type f -name '*.dat' \
      -not -name root.dat -not -name en.dat -not -name es.dat -delete
# Then the project itself: the metadata the build backend reads and the package source.
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
# Install the app as a regular (non-editable) package, so the runtime needs the venv and nothing else.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

# ---------------------------------------------------------------------------------------------------
# dev: the hot-reload loop of compose.override.yaml, where `docker compose watch` copies each edit
# under src/ into the running container. The app is installed editable from /app/src, so a synced
# file is what Python imports next.
FROM builder AS dev-venv
# Re-install only the project, editable: imports now read /app/src. Plus the `reload` group
# (watchdog): the reloader hears of a synced file from inotify at once, not on its once-a-second scan.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --group reload
# Bytecode for the project's own modules too: the app cannot write __pycache__ into the root-owned
# source, so each reload would compile them all again; a synced edit, newer than its .pyc, still is.
RUN python -m compileall -q /app/src

# The dev image itself: same base, same Python, same user as production.
FROM base AS dev
# The venv and the source, owned by root as in production: the app cannot rewrite its own code, and
# watch (which writes as the container's configured user, root here, see below) can.
COPY --from=dev-venv /app /app
# No USER: watch copies files like `docker cp -a`, which looks the container's USER up on the *host*
# and fails for UID 10001 (moby/moby#49213; docs/docker.md). So it starts as root and drops to the
# production user before running anything (the override grants SETUID/SETGID for that alone).
ENTRYPOINT ["setpriv", "--reuid=10001", "--regid=10001", "--clear-groups", "--"]
# Flask's development server in debug mode: the reloader restarts it when a synced .py file changes
# and templates are re-read on each request. Never the interactive debugger: the proxy publishes it.
CMD ["flask", "--app", "blogroll:create_app", "--debug", "run", "--host", "0.0.0.0", "--port", "8000", \
     "--no-debugger"]

# ---------------------------------------------------------------------------------------------------
# runtime: the production image (last stage, so `docker build .` produces it).
FROM base AS runtime
# The finished venv only: no uv, no build cache, no source tree. Owned by root, so the app cannot
# modify its own code even if the filesystem were writable.
COPY --from=builder /app/.venv /app/.venv
# Never run as root; numeric, so `runAsNonRoot` checks can verify it without reading /etc/passwd.
USER 10001:10001
# Exec form: gunicorn is PID 1's direct child (with `init`) and receives SIGTERM to drain gracefully.
CMD ["blogroll", "serve"]
# The version and revision labels, last so that a new release only changes this metadata layer.
# Release builds pass them:
#   --build-arg VERSION=$(uv version --short) --build-arg REVISION=$(git rev-parse HEAD)
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
