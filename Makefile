# The two commands of the README. Everything else is in scripts/.
.PHONY: run test bench solomon

# Where cargo puts its builds: CARGO_TARGET_DIR when set (a shared cache), else ./target.
CARGO_TARGET_DIR ?= target

# Build, load the shipped Jakarta data into the embedded GeoPackage (var/sigap.gpkg), serve on 127.0.0.1:8080
# (port taken? build with `make run` once, then `$(CARGO_TARGET_DIR)/release/sigap serve --bind 127.0.0.1:8081`).
run:
	scripts/web-setup.sh
	cargo build --release
	"$(CARGO_TARGET_DIR)/release/sigap" init
	"$(CARGO_TARGET_DIR)/release/sigap" serve --bind 127.0.0.1:8080

# Every test: installs and starts what the tests need (PostGIS, ogrinfo, Chromium, npm packages) by itself.
test:
	scripts/test.sh

bench:
	scripts/bench.sh

# The full Solomon VRPTW table (56 instances, both modes): run on a quiet machine (scripts/solomon.sh).
solomon:
	scripts/solomon.sh
