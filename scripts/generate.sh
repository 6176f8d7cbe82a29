#!/usr/bin/env bash
# Regenerates restapi/, models/ and client/ from the specs in swagger/ with the
# go-swagger version pinned in internal/tools/go.mod. The generated folders are
# removed first, so code of a deleted operation does not linger.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

swagger() {
	go tool -modfile="$root/internal/tools/go.mod" swagger "$@"
}

# name of the spec file, Go package name of the collection
collections=(
	"api api"
	"configuration-service configuration"
	"mongodb-datastore datastore"
)

rm -rf restapi models client

for entry in "${collections[@]}"; do
	read -r spec pkg <<<"$entry"
	file="swagger/$spec.yaml"
	swagger validate "$file" >/dev/null 2>&1 || swagger validate "$file"
	swagger generate server --quiet -f "$file" -t . -A "$spec" \
		--exclude-main \
		--server-package="restapi/$pkg" \
		--model-package="models/$pkg" \
		--strict-responders
	swagger generate client --quiet -f "$file" -t . -A "$spec" \
		--skip-models \
		--existing-models="github.com/keptn-api/keptn-api/models/$pkg" \
		--client-package="client/$pkg" \
		--model-package="models/$pkg"
done

# go-swagger writes the checkout's own folder name into the go:generate line
# of each configure file (--target ../../../<folder>), which would make the
# output differ between clones. The line is rewritten to the equivalent
# folder-independent path.
find restapi -name 'configure_*.go' -exec sed -i -E 's|--target (\.\./)+[^ ]+ |--target ../.. |' {} +

gofmt -s -w restapi models client
