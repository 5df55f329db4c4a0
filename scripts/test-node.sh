#!/usr/bin/env bash
# Builds and tests the node package (filled in by its issue).
set -euo pipefail
