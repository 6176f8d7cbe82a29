package server_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// gzipMember compresses data into one gzip member. Members concatenated
// form one valid gzip stream.
func gzipMember(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gz.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarHeader returns the 512-byte header block of an entry.
func tarHeader(t *testing.T, hdr *tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tar.NewWriter(&buf).WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// skippedBytesArchive is a chart with a Chart.yaml and then two regular
// entries named like the top-level directory, of 150 MiB of zeros each,
// which unpacking skips but must still gunzip. The zeros are repeated
// gzip members of 1 MiB, so the archive stays small and quick to build.
func skippedBytesArchive(t *testing.T) []byte {
	t.Helper()
	const mib, entryMiB = 1 << 20, 150
	chart := append(tarHeader(t, &tar.Header{Name: "carts/Chart.yaml", Mode: 0o644, Size: 12, Typeflag: tar.TypeReg}), "name: carts\n"...)
	chart = append(chart, make([]byte, 512-12)...)
	zeros := gzipMember(t, make([]byte, mib))

	var archive bytes.Buffer
	archive.Write(gzipMember(t, chart))
	for range 2 {
		archive.Write(gzipMember(t, tarHeader(t, &tar.Header{Name: "carts", Mode: 0o644, Size: entryMiB * mib, Typeflag: tar.TypeReg})))
		for range entryMiB {
			archive.Write(zeros)
		}
	}
	archive.Write(gzipMember(t, make([]byte, 1024)))
	return archive.Bytes()
}

// TestConfigHelmChartLimits uploads archives beyond each limit of a chart
// and checks the 400 that names it, and that the archives at the limits
// are accepted.
func TestConfigHelmChartLimits(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "chartlimits"
	s.createProject(t, p, "dev")
	s.createService(t, p, "carts", "dev")
	carts := serviceLevel(p, "dev", "carts")
	head := branchHead(t, s.repo(p), "dev")

	manyDirs := func(n int) []byte {
		entries := []tarEntry{{name: "carts/"}, {name: "carts/Chart.yaml", content: "name: carts\n"}}
		for i := range n - len(entries) {
			entries = append(entries, tarEntry{name: fmt.Sprintf("carts/d%d/", i)})
		}
		return buildArchive(t, entries)
	}
	deepFile := func(segments int) []byte {
		return buildArchive(t, []tarEntry{
			{name: "carts/Chart.yaml", content: "name: carts\n"},
			{name: "carts/" + strings.Repeat("d/", segments-1) + "f.yaml", content: "x: 1\n"},
		})
	}

	rejected := []struct {
		name    string
		archive []byte
		message string
	}{
		{"too many entries", manyDirs(10001), "it has more than 10000 entries (files, directories and links), the limit for a chart"},
		{"too deep", deepFile(33), "has 33 path segments below the chart directory, more than the limit of 32"},
		{"too many skipped bytes", skippedBytesArchive(t), "it unpacks to more than 268435456 bytes, the limit for a chart"},
	}
	for _, c := range rejected {
		t.Run(c.name, func(t *testing.T) {
			r := s.send(t, http.MethodPost, configBase+carts.resourceList(), uploadBody(t, "helm/carts.tgz", c.archive))
			checkStatus(t, r, http.StatusBadRequest)
			if msg := errorMessage(r); !strings.Contains(msg, c.message) {
				t.Errorf("message = %q, want it to contain %q", msg, c.message)
			}
		})
	}
	if got := branchHead(t, s.repo(p), "dev"); got != head {
		t.Errorf("branch dev moved from %s to %s", head, got)
	}

	accepted := []struct {
		name    string
		archive []byte
	}{
		{"10000 entries", manyDirs(10000)},
		{"32 path segments", deepFile(32)},
	}
	for _, c := range accepted {
		t.Run(c.name, func(t *testing.T) {
			r := s.send(t, http.MethodPost, configBase+carts.resourceList(), uploadBody(t, "helm/carts.tgz", c.archive))
			checkStatus(t, r, http.StatusCreated)
		})
	}
}
