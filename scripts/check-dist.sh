#!/usr/bin/env bash
# Fails when the committed dist/ is not what `npm run build` makes from src/:
# users run dist/, so a stale bundle would ship old code.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent >/dev/null
if ! git diff --quiet --exit-code -- dist; then
  echo "dist/ is stale: run 'npm run build' and commit dist/." >&2
  git diff --stat -- dist >&2
  exit 1
fi
if [ -n "$(git ls-files --others --exclude-standard -- dist)" ]; then
  echo "dist/ has files that are not committed:" >&2
  git ls-files --others --exclude-standard -- dist >&2
  exit 1
fi
echo "dist/ is current."
