# Image with the phetools binary and the tools its workers run (tesseract,
# djvulibre, poppler). One image serves every role: `phetools stream`,
# `phetools work`, `phetools serve` or all three with `phetools run`.
# Migrations and the default streams.toml are compiled into the binary.
#
# OCR_PACKAGES lists the tesseract models installed. The default,
# tesseract-ocr-all, covers every language Debian 12 packages (670 MB installed);
# a smaller image can name only the models its wikis need, for example
# --build-arg OCR_PACKAGES="tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-fra".
# tesseract-ocr-osd is needed to turn rotated pages upright.
FROM rust:1.95-bookworm AS build
RUN apt-get update \
	&& apt-get install -y --no-install-recommends libtesseract-dev libleptonica-dev clang libclang-dev pkg-config \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin phetools

FROM debian:bookworm-slim
ARG OCR_PACKAGES=tesseract-ocr-all
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates djvulibre-bin poppler-utils \
		libtesseract5 tesseract-ocr-osd ${OCR_PACKAGES} \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin phetools
COPY --from=build /src/target/release/phetools /usr/local/bin/phetools
USER phetools
# tesseract's OpenMP threads would compete with the engine pool's own threads.
ENV PHETOOLS_LISTEN=0.0.0.0:8000 OMP_THREAD_LIMIT=1
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/phetools"]
CMD ["run"]
