# Image with the phetools binary and the tools its workers run (djvulibre, poppler).
# One image serves every role: `phetools stream`, `phetools work`, `phetools serve`
# or all three with `phetools run`. Migrations and the default streams.toml are
# compiled into the binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin phetools

FROM debian:bookworm-slim
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates djvulibre-bin poppler-utils \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin phetools
COPY --from=build /src/target/release/phetools /usr/local/bin/phetools
USER phetools
ENV PHETOOLS_LISTEN=0.0.0.0:8000
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/phetools"]
CMD ["run"]
