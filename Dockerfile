# consultroom: multi-stage image, Node 24 slim, non-root, production dependencies only.
# Build arguments:
#   OFFLINE_WORKER=1   build the mediasoup worker from the npm tarball with Debian packages
#                      (scripts/offline-worker/) instead of downloading mediasoup's prebuilt
#                      binary: for build hosts with no internet but a Debian and an npm mirror.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG OFFLINE_WORKER=0
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN if [ "$OFFLINE_WORKER" = "1" ]; then \
      apt-get update && apt-get install -y --no-install-recommends build-essential pkg-config ninja-build python3 \
        libuv1-dev libssl-dev libabsl-dev libsrtp2-dev flatbuffers-compiler libflatbuffers-dev ca-certificates && \
      CONSULTROOM_CACHE=/opt/cache SKIP_APT=1 bash scripts/ensure-worker.sh > /tmp/worker-path && \
      MEDIASOUP_WORKER_BIN=$(cat /tmp/worker-path) npm ci --no-audit --no-fund && \
      mkdir -p node_modules/mediasoup/worker/out/Release && cp "$(cat /tmp/worker-path)" node_modules/mediasoup/worker/out/Release/mediasoup-worker; \
    else \
      apt-get update && apt-get install -y --no-install-recommends python3 build-essential ca-certificates && npm ci --no-audit --no-fund && \
      bash scripts/find-worker.sh >/dev/null; \
    fi
COPY . .
RUN node scripts/build-client.ts && npm prune --omit=dev

FROM ${NODE_IMAGE} AS run
ARG OFFLINE_WORKER=0
# The offline-built worker links Debian's shared libraries; the prebuilt one is static.
RUN if [ "$OFFLINE_WORKER" = "1" ]; then apt-get update && apt-get install -y --no-install-recommends \
      libuv1 libssl3 libsrtp2-1 libabsl20220623 && rm -rf /var/lib/apt/lists/*; fi
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 MEDIASOUP_LISTEN_IP=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/client/dist ./client/dist
COPY --chown=node:node package.json ./
COPY --chown=node:node config ./config
COPY --chown=node:node server ./server
# FILES_DIR: a volume in docker-compose.yml; owned by the app's user, nobody else.
RUN install -d -m 700 -o node -g node /var/lib/consultroom/files
USER node
EXPOSE 8080 40000/udp 40000/tcp 40001/udp 40001/tcp
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "server/main.ts"]
