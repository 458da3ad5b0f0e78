# syntax=docker/dockerfile:1
# One image for every Meshfab app; the command picks the app:
#   node dist/apps/<registry|orders|matching|inspection|settlement>/src/main.js   (one service)
#   node dist/apps/network/src/main.js                                           (all five, the default)

# ---- build: install everything, compile TypeScript, drop dev dependencies ----
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off: the runtime needs none of them (containers get DATABASE_URL, so the
# embedded PostgreSQL binaries are never started), and the image has no compiler toolchain.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: compiled code, production dependencies, unprivileged user ----
FROM node:24-slim
ENV NODE_ENV=production \
    PORT=3000 \
    MESHFAB_DATA_DIR=/data
WORKDIR /app
# package.json carries "type": "module" and the "#libs/*" import map that dist/ resolves through.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/apps/network/src/main.js"]
