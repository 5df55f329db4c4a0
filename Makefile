# The project's two commands (see README.md):
#   make demo   builds and runs the client credentials flow against the embedded dev server
#   make test   installs what the tests need, then runs every test
# and one target per part, each working on its own on a fresh machine (it
# installs what it needs):
#   make test-rust     rustfmt, clippy, rustdoc (warnings are errors), cargo test, one version everywhere, the shared stores, interop with oidc-provider
#   make test-c        the C library (scripts/test-c.sh: valgrind, sanitizers, CMake, pkg-config)
#   make test-python   the Python package (scripts/test-python.sh)
#   make test-node     the Node package (scripts/test-node.sh)
#   make test-cross    Python, Node and C processes sharing one token (scripts/test-cross-language.sh)
#   make test-go       the Go module go/ over the C library (scripts/test-go.sh: gofmt, go vet, go test)
#   make test-java     the Java module over the C library (scripts/test-java.sh: JDK 22+, Maven)
#   make test-samples  the C#, Ruby and PHP samples over the C ABI against the dev server (scripts/test-samples.sh)
#   make test-packages every artifact built into dist/ (scripts/release.sh), then each installed
#                      as a user would, without a Rust toolchain (scripts/test-package-*.sh),
#                      and the debug info split off its binaries (scripts/test-package-debug.sh)
# and the C library's install (scripts/install-c.sh says what goes where):
#   make c-lib                 builds it (cargo's dist profile)
#   make install PREFIX=/usr/local [DESTDIR=...] [LIBDIR=...] [INCLUDEDIR=...]
#   make uninstall PREFIX=...  removes exactly what install put there
.PHONY: demo test deps test-rust test-c test-python test-node test-cross test-go test-java test-samples test-packages c-lib install uninstall
# The tests share ports, cargo's build directory and the dev server: one at a time.
.NOTPARALLEL:

export CARGO_TERM_COLOR ?= never
# A fresh clone builds everything once: incremental data would only take
# disk (gigabytes) and time.
ifeq ($(CI),true)
export CARGO_INCREMENTAL ?= 0
endif
CARGO ?= cargo
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
INSTALL_ENV = CARGO="$(CARGO)" PREFIX="$(PREFIX)" LIBDIR="$(LIBDIR)" INCLUDEDIR="$(INCLUDEDIR)" DESTDIR="$(DESTDIR)"

demo:
	CARGO="$(CARGO)" scripts/demo.sh
	scripts/demo-c.sh

# Everything, in this order (make runs the prerequisites left to right).
test: deps test-rust test-c test-python test-node test-cross test-go test-java test-samples test-packages

deps:
	scripts/install-deps.sh

test-rust: deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy -q --workspace --all-targets -- -D warnings
	$(CARGO) clippy -q -p m2m-auth --features fuzzing --all-targets -- -D warnings
	$(CARGO) clippy -q -p m2m-auth --features opentelemetry --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -q --no-deps --workspace
	$(CARGO) test --workspace
	$(CARGO) test -p m2m-auth --features opentelemetry --test telemetry
	python3 tests/verify/check.py
	python3 scripts/check-versions.py
	CARGO="$(CARGO)" scripts/test-shared-stores.sh
	CARGO="$(CARGO)" scripts/test-interop.sh

test-c:
	scripts/test-c.sh

test-python:
	scripts/test-python.sh

test-node:
	scripts/test-node.sh

test-cross: deps
	scripts/test-cross-language.sh

test-go:
	scripts/test-go.sh

test-java:
	scripts/test-java.sh

test-samples:
	scripts/test-samples.sh

test-packages: deps
	CARGO="$(CARGO)" scripts/release.sh
	scripts/test-package-python.sh
	scripts/test-package-node.sh
	scripts/test-package-c.sh
	scripts/test-package-debug.sh

c-lib:
	$(INSTALL_ENV) scripts/install-c.sh build

install:
	$(INSTALL_ENV) scripts/install-c.sh install

uninstall:
	$(INSTALL_ENV) scripts/install-c.sh uninstall
