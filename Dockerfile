# One image for every app. The CLI runs from source through tsx (the default entrypoint); the
# workers run their bundles, apps/<app>/dist/main.js, on plain node (see docker-compose.yml).
FROM node:20-bookworm-slim
RUN npm install -g pnpm@12.4.2
WORKDIR /lake
COPY pnpm-workspace.yaml package.json pnpm-lock.yaml ./
COPY apps ./apps
COPY packages ./packages
COPY schemas ./schemas
COPY scripts ./scripts
RUN pnpm install --frozen-lockfile --prod=false && node scripts/build-workers.mjs
ENV NODE_ENV=production LAKE_SCHEMAS_DIR=/lake/schemas LAKE_HEALTH_PORT=9464 MALLOC_ARENA_MAX=2 UV_THREADPOOL_SIZE=1
USER node
EXPOSE 9464
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["apps/cli/src/main.ts", "--help"]
