# The project's two commands (see README.md):
#   make demo   builds and runs the client credentials flow against the embedded dev server
#   make test   installs what the tests need, then runs every test
.PHONY: demo test

export CARGO_TERM_COLOR ?= never
CARGO ?= cargo

demo:
	CARGO="$(CARGO)" scripts/demo.sh
	scripts/demo-c.sh

test:
	scripts/install-deps.sh
	$(CARGO) fmt --all --check
	$(CARGO) clippy -q --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace
	scripts/test-shared-stores.sh
	scripts/test-interop.sh
	scripts/test-c.sh
	scripts/test-python.sh
	scripts/test-node.sh
	scripts/test-cross-language.sh
