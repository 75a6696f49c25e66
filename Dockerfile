# syntax=docker/dockerfile:1
# One image for the publisher and the agent: `docker run multinic publisher|agent|status|...`.
#
# Build stage: compile TypeScript to dist/ with the full toolchain.
FROM node:20.19.5-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: Ubuntu 22.04 (the netplan the nodes run), nsenter (util-linux) to run
# `netplan apply` in the host's namespaces, iproute2 to read addresses and routes,
# iputils-ping for the gateway probe (AGENT_PROBES), and Node.js 20
# from the official tarball, pinned and checksum-verified. No nmcli: on a NetworkManager
# node every `nmcli` (validation with --offline included) and the `ip link` rename run the
# host's own through nsenter (NMCLI_COMMAND, IP_COMMAND), so the client always matches
# the daemon's version and D-Bus API, and the keyfile is read exactly as that daemon reads it.
FROM ubuntu:22.04 AS runtime
ARG NODE_VERSION=20.19.5
ARG TARGETARCH=amd64
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends netplan.io util-linux iproute2 iputils-ping ca-certificates curl xz-utils \
 && case "${TARGETARCH}" in amd64) arch=x64 ;; arm64) arch=arm64 ;; *) echo "unsupported arch ${TARGETARCH}" >&2; exit 1 ;; esac \
 && cd /tmp \
 && curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/node-v${NODE_VERSION}-linux-${arch}.tar.xz" \
 && curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt" \
 && grep " node-v${NODE_VERSION}-linux-${arch}.tar.xz\$" SHASUMS256.txt | sha256sum -c - \
 && tar -xJf "node-v${NODE_VERSION}-linux-${arch}.tar.xz" -C /usr/local --strip-components=1 --no-same-owner \
 && rm -f /tmp/node-v* /tmp/SHASUMS256.txt \
 && apt-get purge -y curl xz-utils && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/* \
 && node --version

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin

# The publisher (and status/publish) run as this unprivileged user. The agent must run
# as root: it enters PID 1's namespaces with nsenter and writes /etc/netplan on the
# host, so its DaemonSet sets runAsUser: 0 and privileged: true.
RUN groupadd --gid 10001 multinic && useradd --uid 10001 --gid multinic --no-create-home --shell /usr/sbin/nologin multinic
USER 10001:10001
ENV NODE_ENV=production
# A small young generation and one V8 worker thread: the agent runs on every node, and
# these cut its RSS by ~20-30 MiB idle and under load (measured on the compiled agent,
# see README "Benchmarks"); a deployment can override the variable.
ENV NODE_OPTIONS="--max-semi-space-size=2 --v8-pool-size=1"
EXPOSE 8080
ENTRYPOINT ["node", "/app/bin/multinic.js"]
CMD ["--help"]
