# syntax=docker/dockerfile:1
# personio-mcp as a container: MCP over Streamable HTTP (and legacy SSE) on port 8000.
#
#   docker build -t personio-mcp .
#   docker run --rm -p 8000:8000 -e PERSONIO_CLIENT_ID=... -e PERSONIO_CLIENT_SECRET=... \
#     -v "$PWD/tokens.txt:/run/secrets/tokens.txt:ro" personio-mcp \
#     serve --http 0.0.0.0:8000 --auth-tokens /run/secrets/tokens.txt
#
# The default command listens on all interfaces, so the server refuses to start until bearer tokens
# are configured (--auth-tokens FILE, PERSONIO_MCP_AUTH_TOKENS_FILE or PERSONIO_MCP_AUTH_TOKENS).
#
# Runtime image: debian:bookworm-slim, not distroless. The binary links glibc (as distroless/cc would
# provide), but the HEALTHCHECK needs something that can make an HTTP request and the binary has no
# probe subcommand; bookworm-slim's bash can (/dev/tcp) without installing curl or wget. The image is
# still small (about 75 MB base plus the 12.5 MiB binary) and runs as an unprivileged user.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM docker.io/library/rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
# Only what `cargo build` reads: the manifest (its [[bench]] targets must exist), the sources, the
# prompt templates the binary embeds, and the build script with the dist build's code layout (build.rs).
COPY Cargo.toml Cargo.lock build.rs ./
COPY packaging/link-order ./packaging/link-order
COPY benches ./benches
COPY prompts ./prompts
COPY src ./src
# The `dist` profile: fat LTO, one codegen unit, stripped (see Cargo.toml). Cache mounts keep the
# registry and the dependency builds across image rebuilds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --profile dist --bin personio-mcp \
    && install -m 0755 target/dist/personio-mcp /personio-mcp

FROM docker.io/library/debian:${DEBIAN_RELEASE}-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="personio-mcp" \
      org.opencontainers.image.description="MCP server for the Personio HR API: employee directory, time-off balances, absences, time-off requests" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/personio-mcp/personio-mcp" \
      org.opencontainers.image.url="https://github.com/personio-mcp/personio-mcp" \
      io.modelcontextprotocol.server.name="io.github.personio-mcp/personio-mcp"
# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --system --gid 10001 personio \
    && useradd --system --uid 10001 --gid personio --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin personio
COPY --from=build /personio-mcp /usr/local/bin/personio-mcp
USER 10001:10001
EXPOSE 8000
# Liveness only (/healthz answers without calling Personio); readiness is /readyz. bash's /dev/tcp
# sends one HTTP/1.0 request to the port of the default command.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && grep -q '\"status\":\"ok\"' <&3"]
ENTRYPOINT ["/usr/local/bin/personio-mcp"]
CMD ["serve", "--http", "0.0.0.0:8000"]
