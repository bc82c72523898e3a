# scylla-bench in a container (the `bench` service of docker-compose.yml).
#   docker build -t scylla-bench .   &&   docker run --rm scylla-bench run profiles/quickstart.yaml --target <hosts>
# The Node major follows package.json's engines (>=20.19). test/monitoring/compose.test.ts
# checks that this file stays consistent with package.json and tsconfig.build.json.

# build: every dependency (TypeScript) and the compiled dist/
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build

# run: production dependencies, the compiled code and what package.json ships (bin, dist, workloads, profiles)
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY workloads ./workloads
COPY profiles ./profiles
# the loader's Prometheus /metrics (run --prometheus 9500)
EXPOSE 9500
ENTRYPOINT ["node", "bin/scylla-bench.js"]
CMD ["--help"]
