# syntax=docker/dockerfile:1
# Build stage: all dependencies, compile TypeScript.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: compiled output and production dependencies only, as a non-root user.
FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json openapi.yaml ./
COPY --chown=node:node public ./public
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Plain node (not npm) so SIGTERM reaches the service and it drains gracefully.
# A young generation fixed at 64 MB per semi-space: a scavenge copies what is in flight, so
# scavenging half as often halves its cost (3-10% less CPU per response, lower p99; README,
# Performance). It costs up to ~128 MB of RSS under load; a small container can use 16.
CMD ["node", "--max-semi-space-size=64", "--min-semi-space-size=64", "dist/server.js"]
