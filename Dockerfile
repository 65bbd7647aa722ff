# The one image `kubegate server` and `kubegate agent` run from (the agent chart's default
# image.repository is kubegate/kubegate):
#   docker build -t kubegate/kubegate:0.1.0 --build-arg KUBEGATE_COMMIT=$(git rev-parse HEAD) .
# It is built from the npm package, as a user installs it: `npm pack` (which builds dist/),
# then scripts/install-package.sh with production dependencies only.
ARG NODE_VERSION=20.19

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# Dev dependencies, for the TypeScript build of `npm pack` (no native modules needed for it).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY charts ./charts
COPY cloudformation ./cloudformation
# The web UI's sources: `npm pack` builds them into web/dist with Vite.
COPY web ./web
COPY scripts/install-package.sh ./scripts/install-package.sh
COPY README.md ./
RUN npm pack --pack-destination /packages
# python3, make and g++ of this stage compile better-sqlite3 if no prebuilt binary is found.
RUN scripts/install-package.sh /packages/kubegate-*.tgz /opt/kubegate

FROM node:${NODE_VERSION}-bookworm-slim
# git: the server hosts repositories through `git http-backend`.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /var/lib/kubegate \
  && chown 1000:1000 /var/lib/kubegate
COPY --from=build /opt/kubegate /opt/kubegate
ARG KUBEGATE_COMMIT=unknown
# A container's loopback is reachable from nowhere: the server listens on all interfaces
# (set KUBEGATE_EXTERNAL_URL to the URL people and agents use). The agent ignores it.
ENV NODE_ENV=production \
    PATH=/opt/kubegate/node_modules/.bin:$PATH \
    KUBEGATE_COMMIT=$KUBEGATE_COMMIT \
    KUBEGATE_DATA_DIR=/var/lib/kubegate \
    KUBEGATE_LISTEN=0.0.0.0:8080
# A numeric non-root user (the node image's "node"), so Kubernetes can check runAsNonRoot.
USER 1000:1000
WORKDIR /var/lib/kubegate
VOLUME /var/lib/kubegate
EXPOSE 8080
ENTRYPOINT ["kubegate"]
CMD ["--help"]
