#!/usr/bin/env bash
# Builds and tests the python package (filled in by its issue).
set -euo pipefail
