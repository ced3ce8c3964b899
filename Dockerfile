# The flightcache image: one image for every role (serve, coordinator, shard, operator); its
# entrypoint is the flightcache command, so a pod's args start with the role (operator/desired.ts,
# operator/manifests/base/operator.yaml). Runs as uid 65532, as the manifests' securityContext asks.
FROM node:20-bookworm AS build
WORKDIR /src
# python3, make and g++ come with the bookworm image: npm ci builds the native addon (binding.gyp) and,
# through the prepare script, the TypeScript.
COPY package.json package-lock.json binding.gyp tsconfig.json ./
COPY native native
COPY cache-server cache-server
COPY client client
COPY operator operator
COPY bench bench
COPY test test
COPY scripts scripts
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/build/Release/flightcache_native.node build/Release/flightcache_native.node
COPY --from=build /src/dist dist
# The operator reads its CRD (dry-run defaults) from the source tree's place beside dist/.
COPY --from=build /src/operator/manifests operator/manifests
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/cache-server/cli/main.js"]
