# One image for every app; the command picks the app (apps/<app>/src/main.ts).
FROM node:20-bookworm-slim
RUN npm install -g pnpm@12.4.2
WORKDIR /lake
COPY pnpm-workspace.yaml package.json pnpm-lock.yaml ./
COPY apps ./apps
COPY packages ./packages
COPY schemas ./schemas
RUN pnpm install --frozen-lockfile --prod=false
ENV NODE_ENV=production LAKE_SCHEMAS_DIR=/lake/schemas LAKE_HEALTH_PORT=9464
USER node
EXPOSE 9464
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["apps/cli/src/main.ts", "--help"]
