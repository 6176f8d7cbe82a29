package server_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// chartFiles are the files of the test chart, relative to its top-level
// directory.
var chartFiles = map[string]string{
	"Chart.yaml":                "apiVersion: v2\nname: carts\nversion: 0.1.0\n",
	"values.yaml":               "image: docker.io/keptnexamples/carts:0.12.1\nreplicas: 1\n",
	"templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: carts\n",
}

// tarEntry is one entry of a test archive: a directory when its name ends
// in "/".
type tarEntry struct {
	name, content string
}

// buildArchive writes a gzip-compressed tar archive of the entries, as
// `helm package` produces for a chart.
func buildArchive(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	mtime := time.Date(2020, 11, 16, 9, 0, 0, 0, time.UTC)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.content)), ModTime: mtime, Typeflag: tar.TypeReg}
		if strings.HasSuffix(e.name, "/") {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.content); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// chartArchive packs files under the top-level directory top, with the
// directory entries a chart archive has.
func chartArchive(t *testing.T, top string, files map[string]string) []byte {
	t.Helper()
	entries := []tarEntry{{name: top + "/"}}
	dirs := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if dir, _, ok := strings.Cut(name, "/"); ok && !dirs[dir] {
			dirs[dir] = true
			entries = append(entries, tarEntry{name: top + "/" + dir + "/"})
		}
		entries = append(entries, tarEntry{name: top + "/" + name, content: files[name]})
	}
	return buildArchive(t, entries)
}

// unpackArchive returns the regular files of an archive, keyed by their
// full names inside it.
func unpackArchive(t *testing.T, archive []byte) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("returned archive is not gzip: %v", err)
	}
	tr := tar.NewReader(gz)
	files := map[string]string{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("returned archive is not a tar archive: %v", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		content, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = string(content)
	}
}

// uploadBody is a resource list with one archive.
func uploadBody(t *testing.T, uri string, archive []byte) string {
	t.Helper()
	return jsonBody(t, map[string]any{"resources": []map[string]string{
		{"resourceURI": uri, "resourceContent": base64.StdEncoding.EncodeToString(archive)},
	}})
}

// readRaw gets a resource and returns its decoded content as bytes.
func (s *configServer) readRaw(t *testing.T, level resourceLevel, uri string) []byte {
	t.Helper()
	r := s.expect(t, http.StatusOK, http.MethodGet, level.resourcePath(uri), "")
	var res resourceBody
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(res.ResourceContent)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func withPrefix(prefix string, files map[string]string) map[string]string {
	out := make(map[string]string, len(files))
	for name, content := range files {
		out[prefix+name] = content
	}
	return out
}

// TestConfigHelmChart uploads a chart archive to a service and checks that
// it is stored unpacked, packed again on read, and replaced by a new upload.
func TestConfigHelmChart(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "charts"
	s.createProject(t, p, "dev", "prod")
	s.createService(t, p, "carts", "dev", "prod")
	s.createService(t, p, "helmet", "dev")
	carts := serviceLevel(p, "dev", "carts")

	t.Run("upload unpacks", func(t *testing.T) {
		r := s.expect(t, http.StatusCreated, http.MethodPost, carts.resourceList(), uploadBody(t, "helm/carts.tgz", chartArchive(t, "carts", chartFiles)))
		v := decodeVersion(t, r)
		if v.Branch != "dev" {
			t.Errorf("Version.branch = %q, want dev", v.Branch)
		}
		s.checkURIs(t, carts, "/helm/carts/Chart.yaml", "/helm/carts/templates/deployment.yaml", "/helm/carts/values.yaml", "/metadata.yaml")
		for name, want := range chartFiles {
			if got, _ := s.readFile(t, carts, "helm/carts/"+name, ""); got != want {
				t.Errorf("helm/carts/%s = %q, want %q", name, got, want)
			}
		}
		if files := gitFiles(t, s.repo(p), "dev"); slices.Contains(files, "carts/helm/carts.tgz") {
			t.Error("branch dev has the archive itself")
		}
	})

	t.Run("read packs the directory", func(t *testing.T) {
		got := unpackArchive(t, s.readRaw(t, carts, "helm/carts.tgz"))
		if want := withPrefix("carts/", chartFiles); !maps.Equal(got, want) {
			t.Errorf("files of the returned archive =\n\t%v\nwant\n\t%v", got, want)
		}
		// The raw multi-segment form reads the same archive.
		_, meta := s.readPath(t, string(carts)+"/resource/helm/carts.tgz")
		if meta.Branch != "dev" {
			t.Errorf("metadata.branch = %q, want dev", meta.Branch)
		}
	})

	t.Run("top-level directory takes the archive name", func(t *testing.T) {
		archive := chartArchive(t, "carts-chart-0.1.0", map[string]string{"Chart.yaml": "name: renamed\n"})
		s.expect(t, http.StatusCreated, http.MethodPost, serviceLevel(p, "prod", "carts").resourceList(), uploadBody(t, "helm/carts.tgz", archive))
		s.checkURIs(t, serviceLevel(p, "prod", "carts"), "/helm/carts/Chart.yaml", "/metadata.yaml")
	})

	t.Run("re-upload replaces the directory", func(t *testing.T) {
		fewer := map[string]string{
			"Chart.yaml":                "apiVersion: v2\nname: carts\nversion: 0.2.0\n",
			"templates/deployment.yaml": chartFiles["templates/deployment.yaml"],
		}
		// The chart directory exists before the upload, whatever the first
		// upload did.
		for name, content := range chartFiles {
			s.putFile(t, carts, "helm/carts/"+name, content)
		}
		// PUT of the list unpacks too.
		s.expect(t, http.StatusCreated, http.MethodPut, carts.resourceList(), uploadBody(t, "helm/carts.tgz", chartArchive(t, "carts", fewer)))
		s.checkURIs(t, carts, "/helm/carts/Chart.yaml", "/helm/carts/templates/deployment.yaml", "/metadata.yaml")
		got := unpackArchive(t, s.readRaw(t, carts, "helm/carts.tgz"))
		if want := withPrefix("carts/", fewer); !maps.Equal(got, want) {
			t.Errorf("files after the re-upload =\n\t%v\nwant\n\t%v", got, want)
		}
	})

	t.Run("all-stages upload unpacks in every stage", func(t *testing.T) {
		archive := chartArchive(t, "carts", map[string]string{"Chart.yaml": "name: everywhere\n"})
		s.expect(t, http.StatusCreated, http.MethodPost, defaultsLevel(p, "carts").resourceList(), uploadBody(t, "helm/carts-generated.tgz", archive))
		for _, stage := range []string{"dev", "prod"} {
			if got, _ := s.readFile(t, serviceLevel(p, stage, "carts"), "helm/carts-generated/Chart.yaml", ""); got != "name: everywhere\n" {
				t.Errorf("%s: Chart.yaml = %q", stage, got)
			}
		}
	})

	t.Run("only a helm path segment counts", func(t *testing.T) {
		archive := chartArchive(t, "x", map[string]string{"Chart.yaml": "name: x\n"})
		cases := []struct {
			level resourceLevel
			uri   string
		}{
			{serviceLevel(p, "dev", "helmet"), "x.tgz"},
			{serviceLevel(p, "dev", "helmet"), "charts/x.tgz"},
			{carts, "myhelm/x.tgz"},
			{carts, "helmfile/x.tgz"},
			{carts, "helm.tgz"},
			{stageLevel(p, "dev"), "helm/x.tgz"},
			{projectLevel(p), "helm/x.tgz"},
		}
		for _, c := range cases {
			s.expect(t, http.StatusCreated, http.MethodPost, c.level.resourceList(), uploadBody(t, c.uri, archive))
			if uris := s.listURIs(t, c.level); !slices.Contains(uris, "/"+c.uri) {
				t.Errorf("%s: listing %q lacks the archive %s", c.level, uris, c.uri)
			}
			if got := s.readRaw(t, c.level, c.uri); !bytes.Equal(got, archive) {
				t.Errorf("%s: %s read back differs from the upload", c.level, c.uri)
			}
		}
	})

	t.Run("single resource write stores the archive", func(t *testing.T) {
		archive := chartArchive(t, "single", map[string]string{"Chart.yaml": "name: single\n"})
		body := jsonBody(t, map[string]string{"resourceURI": "helm/single.tgz", "resourceContent": base64.StdEncoding.EncodeToString(archive)})
		s.expect(t, http.StatusCreated, http.MethodPut, carts.resourcePath("helm/single.tgz"), body)
		if got := s.readRaw(t, carts, "helm/single.tgz"); !bytes.Equal(got, archive) {
			t.Error("helm/single.tgz read back differs from the upload")
		}
	})

	t.Run("delete removes the chart directory", func(t *testing.T) {
		prod := serviceLevel(p, "prod", "carts")
		s.expect(t, http.StatusNoContent, http.MethodDelete, prod.resourcePath("helm/carts.tgz"), "")
		for _, uri := range s.listURIs(t, prod) {
			if strings.HasPrefix(uri, "/helm/carts/") {
				t.Errorf("prod still lists %s", uri)
			}
		}
		r := s.send(t, http.MethodGet, configBase+prod.resourcePath("helm/carts.tgz"), "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Service resource not found")
	})
}

// TestConfigHelmChartRejected uploads broken archives and checks the 400,
// its message and that nothing was written.
func TestConfigHelmChartRejected(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "badcharts"
	s.createProject(t, p, "dev")
	s.createService(t, p, "carts", "dev")
	carts := serviceLevel(p, "dev", "carts")
	head := branchHead(t, s.repo(p), "dev")

	twoDirs := buildArchive(t, []tarEntry{
		{name: "carts/"}, {name: "carts/Chart.yaml", content: "name: carts\n"},
		{name: "other/"}, {name: "other/Chart.yaml", content: "name: other\n"},
	})
	// An uncompressed tar archive of the same chart.
	var plainTar bytes.Buffer
	tw := tar.NewWriter(&plainTar)
	if err := tw.WriteHeader(&tar.Header{Name: "carts/Chart.yaml", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	truncated := chartArchive(t, "carts", chartFiles)
	truncated = truncated[:len(truncated)/2]

	cases := []struct {
		name    string
		archive []byte
		message string
	}{
		{"not gzip", []byte("this is not an archive"), "Could not unarchive Helm chart"},
		{"tar without gzip", plainTar.Bytes(), "Could not unarchive Helm chart"},
		{"truncated", truncated, "Could not unarchive Helm chart"},
		{"two top-level directories", twoDirs, "Unexpected amount of unpacked files"},
		{"empty gzip", buildArchive(t, nil), ""},
		{"only a directory", buildArchive(t, []tarEntry{{name: "carts/"}}), ""},
		{"entry escaping the chart", buildArchive(t, []tarEntry{{name: "carts/"}, {name: "carts/../../evil.yaml", content: "x"}}), ""},
		{"entry in .git", buildArchive(t, []tarEntry{{name: "carts/"}, {name: "carts/.git/config", content: "x"}}), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.send(t, http.MethodPost, configBase+carts.resourceList(), uploadBody(t, "helm/carts.tgz", c.archive))
			checkStatus(t, r, http.StatusBadRequest)
			if msg := errorMessage(r); !strings.HasPrefix(msg, c.message) {
				t.Errorf("message = %q, want the prefix %q", msg, c.message)
			}
		})
	}

	if got := branchHead(t, s.repo(p), "dev"); got != head {
		t.Errorf("branch dev moved from %s to %s", head, got)
	}
	s.checkURIs(t, carts, "/metadata.yaml")
}
