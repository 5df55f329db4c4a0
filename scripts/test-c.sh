#!/usr/bin/env bash
# Builds and tests the c package (filled in by its issue).
set -euo pipefail
