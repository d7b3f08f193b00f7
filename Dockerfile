# syntax=docker/dockerfile:1
# One image for the API, the worker and the one-shot migration (compose.yaml picks the command).
# Built from a clean checkout: `docker build -t internships-for-developers .`

# --- build: all dependencies, compile TypeScript to dist/ and the web application to dist/web/
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
COPY web ./web
RUN npm run build

# --- deps: production dependencies only (no MailDev, PGlite, test or lint tools)
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    WORKER_HEALTH_HOST=0.0.0.0 \
    WORKER_HEALTH_PORT=8001
WORKDIR /app
# package.json marks the project root (src/lib/paths.ts); migrations/ is read at start-up.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
# The image's own user (uid 1000), never root; keys come mounted read-only (compose.yaml).
USER node
EXPOSE 8000 8001
# The API's liveness; the worker's service overrides it with WORKER_HEALTH_PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/cluster.js"]
