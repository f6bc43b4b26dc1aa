# The two commands of the README. Everything else is in scripts/.
.PHONY: run test bench

# Build, load the shipped Jakarta data into the embedded GeoPackage (var/sigap.gpkg), serve on 127.0.0.1:8080.
run:
	scripts/web-setup.sh
	cargo build --release
	./target/release/sigap init
	./target/release/sigap serve --bind 127.0.0.1:8080

# Every test: installs and starts what the tests need (PostGIS, ogrinfo, Chromium, npm packages) by itself.
test:
	scripts/test.sh

bench:
	scripts/bench.sh
