# syntax=docker/dockerfile:1.7
#
# AI Coding Team: one image that runs as `--role api`, `--role worker` or `--role all` (the default).
#
#   docker build -t aict .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://... aict --role api
#   docker run --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#     --user 0 -e DATABASE_URL=postgres://... aict --role worker
#
# The CLI is in the image too: `docker exec <container> aict ledger verify` (after `aict login`).
#
# Stages: `rust` (the toolchain only), `native` (builds the TDLN napi addon with `npm run build:native`),
# `build` (npm ci, server + CLI + SPA build, dev dependencies pruned), `runtime` (slim Debian with git,
# bubblewrap, util-linux and tini; non-root by default). See docs/operations.md for the sandbox privileges
# the worker needs.

ARG NODE_VERSION=24.17.0
ARG RUST_VERSION=1.95.0

# ---------------------------------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-slim-bookworm AS rust

# ---------------------------------------------------------------------------------------------------------
# The addon: Rust toolchain from the `rust` stage, the napi CLI (@napi-rs/cli, a devDependency) from npm.
FROM node:${NODE_VERSION}-bookworm AS native
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:$PATH
COPY --from=rust /usr/local/rustup /usr/local/rustup
COPY --from=rust /usr/local/cargo /usr/local/cargo
WORKDIR /src
COPY package.json package-lock.json ./
# Only the napi CLI is needed here; no install scripts (the root postinstall would build everything).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY native/ native/
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/native/target \
    npm run build:native \
 && ls native/binding/*.node

# ---------------------------------------------------------------------------------------------------------
# Server, CLI and SPA. AICT_SKIP_NATIVE_BUILD=1: the addon comes from the `native` stage, so the root
# postinstall (scripts/postinstall.mjs) does not look for cargo; it still runs the builds, and the explicit
# `npm run build` below (SWC build of server and CLI, then the SPA: `npm run build:web`, which generates the
# API types from openapi.json) makes the image independent of what postinstall does.
FROM node:${NODE_VERSION}-bookworm AS build
ENV AICT_SKIP_NATIVE_BUILD=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json nest-cli.json openapi.json ./
COPY scripts/ scripts/
COPY bin/ bin/
COPY native/ native/
COPY --from=native /src/native/binding/ native/binding/
COPY apps/ apps/
COPY libs/ libs/
COPY test/fake-model/ test/fake-model/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
RUN npm run build \
 && if [ ! -f apps/web/dist/index.html ]; then npm run build:web --if-present; fi \
 && npm prune --omit=dev --no-audit --no-fund
# Assemble exactly what the runtime needs in /out (the SPA build directory is optional).
RUN mkdir -p /out/native \
 && cp -a dist node_modules bin package.json /out/ \
 && cp -a native/binding /out/native/binding \
 && if [ -d apps/web/dist ]; then mkdir -p /out/apps/web && cp -a apps/web/dist /out/apps/web/dist; fi

# ---------------------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# git: workspaces; bubblewrap: the test sandbox; util-linux: prlimit and setpriv; tini: PID 1 that reaps the
# sandbox's orphans and forwards SIGTERM (the service drains its worker on SIGTERM).
# Versions follow the Debian point release of the pinned base image.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git bubblewrap util-linux tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 aict \
 && useradd --system --uid 10001 --gid aict --home-dir /home/aict --create-home --shell /usr/sbin/nologin aict \
 && mkdir -p /data/keys \
 && chown aict:aict /data /data/keys \
 && chmod 700 /data/keys \
 && ln -s /app/bin/aict.js /usr/local/bin/aict
WORKDIR /app
COPY --from=build --chown=root:root /out/ /app/
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    LOG_LEVEL=info
USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health/live').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/apps/server/src/main.js"]
CMD ["--role", "all"]
