# syntax=docker/dockerfile:1
#
# Bulwark container image.
#   docker build -t bulwark .
#   docker run -p 3000:3000 -e DATABASE_URL=... -e REDIS_URL=... -e JWT_SECRET=... bulwark
# Secrets (DATABASE_URL, REDIS_URL, JWT_SECRET, SMTP_URL) are given at run time only; nothing
# secret is baked into any layer. Migrations: same image, `node dist/infra/database/migrate.js run`.

# Node 26, the active LTS line (CI runs the whole suite on it; see README "Runtime").
ARG NODE_IMAGE=node:26-trixie-slim

# ---- build: full dependency tree (TypeScript, etc.) and the compiled dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# @scarf/scarf (a transitive dependency) phones home from its install script unless told not to.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
# Everything the build reads (src/, migrations/, tsconfig*.json); .dockerignore keeps out the rest.
COPY . .
RUN npm run build

# ---- runtime: production dependencies and dist/ only ----
FROM ${NODE_IMAGE} AS runtime
# tini runs as PID 1: it forwards SIGTERM to node (graceful shutdown, see docs/operations.md)
# and reaps the child processes of the embedded PostgreSQL used in single-instance mode.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=3000 \
    SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# Application files stay root-owned (the app cannot rewrite its own code); only ./.data, where
# the embedded PostgreSQL of single-instance mode lives, belongs to the runtime user. In
# Kubernetes the root filesystem is read-only and /tmp and /app/.data are emptyDir volumes.
RUN mkdir -p /app/.data && chown 1000:1000 /app/.data
# 1000 is the image's "node" user; numeric so kubelet can verify runAsNonRoot.
USER 1000:1000
EXPOSE 3000
# Docker/Compose only (Kubernetes uses its own probes). Uses node because the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# --max-semi-space-size fixes V8's young generation at 16 MB. Left to itself V8 sizes the heap from
# the container's memory limit: under the chart's 512 Mi it picks 4 MB semi-spaces, and a read
# cost 254 instead of 210 µs of CPU at saturation (docs/operations.md, "Heap size"). Keep the flag
# if you override the command; the test harness, the bench and `npm start` use the same flags.
CMD ["node", "--max-semi-space-size=16", "dist/main.js"]
