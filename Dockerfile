# syntax=docker/dockerfile:1
# TokenFlow's production image. Three stages: dependencies, the build (next build with
# output: "standalone", then scripts/package-standalone.mjs), and a small runtime holding only the
# packaged folder: Next's traced node_modules, the build, public/, the SQL migrations and our server
# bundled into start.mjs. The container applies pending migrations at start, then serves on :3000
# as the unprivileged `node` user. Configuration: environment variables (.env.example, README
# "Self-hosting with Docker"); persistent state: Postgres and the /data volume.
#
#   docker build -t tokenflow .
#   docker compose up -d        (app ×2, Postgres, Redis, nginx; see docker-compose.yml)

ARG NODE_IMAGE=node:20-bookworm-slim

# --- dependencies: cached until package.json or the lockfile changes ---------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /src
# npm 11 reads "allowScripts" in package.json (install scripts run only where approved: esbuild,
# sharp… but not the Prisma engine download, which the project does not need).
RUN npm install --global --no-audit --no-fund npm@11
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma/schema.prisma ./prisma/
# Optional dependencies stay: Next's SWC, lightningcss, Tailwind's oxide and sharp ship as them.
RUN npm ci --no-audit --no-fund

# --- build: the Next.js build and the standalone folder ----------------------------------------
FROM deps AS build
ENV NEXT_TELEMETRY_DISABLED=1
COPY . .
RUN npx next build && node scripts/package-standalone.mjs --out /app

# --- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    TOKENFLOW_DATA_DIR=/data
WORKDIR /app
# The app's files belong to root (the server cannot change its own code); only Next's cache folder
# and the data folder (settlement journal, mail outbox, first-start credentials) are writable.
COPY --from=build /app ./
RUN mkdir -p /data .next/cache && chown node:node /data .next/cache
USER node
VOLUME ["/data"]
EXPOSE 3000
# Liveness only (no database call): a container whose database is down is not restarted for it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The server drains on SIGTERM for up to TOKENFLOW_SHUTDOWN_TIMEOUT_MS (30 s): give it that long
# (docker stop -t 40, stop_grace_period in docker-compose.yml).
STOPSIGNAL SIGTERM
CMD ["node", "start.mjs"]
