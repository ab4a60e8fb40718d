# The production image of the API and the worker (deploy/docker-compose.production.yml runs both
# from it with different commands): `npm run build` in a full Node image, then the compiled dist/
# with production dependencies only in a slim one. Tags are pinned in deploy/images.json.
FROM node:22-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Type-checks, compiles to dist/ and prebuilds the workflow bundle the worker loads.
RUN TOLLBOOTH_CACHE=/tmp/tollbooth-cache npm run build

FROM node:22-bookworm-slim
WORKDIR /app
ENV DATA_DIR=/var/lib/tollbooth
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN mkdir -p /var/lib/tollbooth && chown node:node /var/lib/tollbooth
USER node
# node is PID 1 (no npm in between), so SIGTERM reaches the process and it drains before exit.
CMD ["node", "--max-semi-space-size=64", "dist/bin/api.js"]
