// Package swaggerui serves the Swagger UI page and the published specs.
//
// The UI assets come from the swagger-ui-dist npm package at the version in
// dist/VERSION (scripts/update-swagger-ui.sh replaces them) and are embedded in
// the binary, so the page loads nothing from outside the server.
package swaggerui

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/keptn-api/keptn-api/internal/httpx"
)

//go:embed dist ui
var assets embed.FS

// Handler serves the UI files. Mount it with http.StripPrefix so that request
// paths are relative to the UI folder ("/" is the page itself).
//
// A path that names no file gets the JSON 404 of the rest of the API instead
// of http.FileServer's plain-text one.
func Handler() http.Handler {
	dist, _ := fs.Sub(assets, "dist")
	ui, _ := fs.Sub(assets, "ui")
	files := overlayFS{first: ui, second: dist}
	fileServer := http.FileServer(http.FS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "."
		}
		if _, err := fs.Stat(files, name); err != nil {
			httpx.WriteError(w, http.StatusNotFound, fmt.Sprintf("path %s was not found", r.URL.Path))
			return
		}
		fileServer.ServeHTTP(w, r)
	})
}

// overlayFS opens a file from first and falls back to second.
type overlayFS struct {
	first, second fs.FS
}

func (o overlayFS) Open(name string) (fs.File, error) {
	f, err := o.first.Open(name)
	if err == nil {
		return f, nil
	}
	return o.second.Open(name)
}

var basePathLine = regexp.MustCompile(`(?m)^basePath:.*$`)

// PublishSpec returns a copy of a YAML spec whose basePath is replaced by the
// public one, so that "Try it out" calls the gateway path. It fails when the
// spec has no top-level basePath line.
func PublishSpec(spec []byte, publicBase string) ([]byte, error) {
	if !basePathLine.Match(spec) {
		return nil, fmt.Errorf("spec has no top-level basePath line")
	}
	line := []byte("basePath: " + strconv.Quote(publicBase))
	return basePathLine.ReplaceAllLiteral(spec, line), nil
}

// SpecHandler serves a published spec as YAML.
func SpecHandler(spec []byte) http.Handler {
	modTime := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		http.ServeContent(w, r, "swagger.yaml", modTime, bytes.NewReader(spec))
	})
}
