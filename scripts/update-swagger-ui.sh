#!/usr/bin/env bash
# Replaces the Swagger UI assets embedded in the binary with those of the
# swagger-ui-dist npm package at the version below. Only the files the UI page
# loads are kept; our own index.html and swagger-initializer.js are untouched.
set -euo pipefail

version=5.35.0
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/internal/swaggerui/dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "swagger-ui-dist@$version" >/dev/null && tar xzf "swagger-ui-dist-$version.tgz")

rm -rf "$dest"
mkdir -p "$dest"
for f in LICENSE NOTICE favicon-16x16.png favicon-32x32.png index.css swagger-ui.css \
	swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt \
	swagger-ui-standalone-preset.js swagger-ui-standalone-preset.js.LICENSE.txt; do
	cp "$work/package/$f" "$dest/$f"
done
echo "$version" >"$dest/VERSION"
