package configsvc

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/keptn-api/keptn-api/store"
)

// Limits of an uploaded Helm chart archive, which guard against archives that
// expand far beyond their upload size. maxChartEntries counts every tar entry
// (files, directories, links and the rest), and maxChartUnpacked every byte
// that gunzip produces, headers included, because reading past an entry
// costs as much as reading it. maxChartDepth counts the path segments of an
// entry below the chart's top-level directory.
const (
	maxChartEntries    = 10000
	maxChartUnpacked   = 256 << 20 // bytes
	maxChartDepth      = 32
	chartDirectoryMode = 0o755
	chartFileMode      = 0o644
)

// errChartTooLarge reports an archive that gunzips to more than
// maxChartUnpacked bytes.
var errChartTooLarge = errors.New("chart archive too large")

// cappedReader returns errChartTooLarge once more than n bytes are read.
type cappedReader struct {
	r io.Reader
	n int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, errChartTooLarge
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if c.n < 0 {
		return n, errChartTooLarge
	}
	return n, err
}

// isHelmChart reports whether a service-level path is a Helm chart archive:
// a .tgz file below a directory named "helm" (matched as a whole path
// segment, so a service or file merely containing "helm" does not count).
func isHelmChart(rel string) bool {
	if !strings.HasSuffix(rel, ".tgz") {
		return false
	}
	segments := strings.Split(rel, "/")
	for _, s := range segments[:len(segments)-1] {
		if s == "helm" {
			return true
		}
	}
	return false
}

// chartDir returns the directory a chart archive unpacks into: the archive's
// path without ".tgz".
func chartDir(rel string) string {
	return strings.TrimSuffix(rel, ".tgz")
}

// unpackChart turns a chart archive uploaded at dir+".tgz" into file changes
// that replace the directory dir. The archive must hold exactly one top-level
// directory, which takes the name of the archive.
func unpackChart(dir string, archive []byte) ([]store.FileChange, error) {
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, invalid("Could not unarchive Helm chart %q: %v", dir+".tgz", err)
	}
	tr := tar.NewReader(&cappedReader{r: gz, n: maxChartUnpacked})
	readFailed := func(err error) error {
		if errors.Is(err, errChartTooLarge) {
			return invalid("Could not unarchive Helm chart %q: it unpacks to more than %d bytes, the limit for a chart", dir+".tgz", maxChartUnpacked)
		}
		return invalid("Could not unarchive Helm chart %q: %v", dir+".tgz", err)
	}

	var top string
	var files []store.FileChange
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readFailed(err)
		}
		if entries >= maxChartEntries {
			return nil, invalid("Could not unarchive Helm chart %q: it has more than %d entries (files, directories and links), the limit for a chart", dir+".tgz", maxChartEntries)
		}
		if hdr.Size > maxChartUnpacked {
			return nil, readFailed(errChartTooLarge)
		}
		name := strings.TrimPrefix(path.Clean(strings.TrimPrefix(hdr.Name, "./")), "/")
		first, rest, _ := strings.Cut(name, "/")
		if top == "" {
			top = first
		} else if first != top {
			return nil, invalid("Unexpected amount of unpacked files in Helm chart %q: it must contain one top-level directory, found %q and %q", dir+".tgz", top, first)
		}
		if depth := strings.Count(rest, "/") + 1; rest != "" && depth > maxChartDepth {
			return nil, invalid("Path of Helm chart is invalid: %q in %q has %d path segments below the chart directory, more than the limit of %d", truncateName(hdr.Name), dir+".tgz", depth, maxChartDepth)
		}
		if hdr.Typeflag != tar.TypeReg || rest == "" {
			continue
		}
		rel, err := CleanResourceURI(rest)
		if err != nil {
			return nil, invalid("Path of Helm chart is invalid: %q in %q", truncateName(hdr.Name), dir+".tgz")
		}
		content, err := io.ReadAll(tr)
		if err != nil {
			return nil, readFailed(err)
		}
		files = append(files, store.FileChange{Path: dir + "/" + rel, Content: content})
	}
	if len(files) == 0 {
		return nil, invalid("Could not read unpacked files of Helm chart %q: it contains no file", dir+".tgz")
	}
	// The new chart replaces the old one, so files it no longer has go.
	return append([]store.FileChange{{Path: dir, Delete: true}}, files...), nil
}

// truncateName shortens an entry name for an error message, because a tar
// name in a PAX header can be up to 1 MiB long in archive/tar.
func truncateName(name string) string {
	const maxShown = 200
	if len(name) <= maxShown {
		return name
	}
	return name[:maxShown] + "..."
}

// packChart builds a chart archive from the files of a chart directory,
// keyed by their path relative to it, under one top-level directory named
// top. Entries are sorted and timestamps fixed, so equal files give an equal
// archive.
func packChart(top string, files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)

	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	epoch := time.Unix(0, 0).UTC()
	dirs := map[string]bool{}
	writeDir := func(dir string) error {
		if dirs[dir] {
			return nil
		}
		dirs[dir] = true
		return tw.WriteHeader(&tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: chartDirectoryMode, ModTime: epoch})
	}
	if err := writeDir(top); err != nil {
		return nil, err
	}
	for _, name := range names {
		full := top + "/" + name
		if err := writeParents(writeDir, top, full); err != nil {
			return nil, err
		}
		content := files[name]
		hdr := &tar.Header{Name: full, Typeflag: tar.TypeReg, Mode: chartFileMode, Size: int64(len(content)), ModTime: epoch}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("pack Helm chart: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("pack Helm chart: %w", err)
	}
	return buf.Bytes(), nil
}

// writeParents writes the directory entries between top and the file full,
// outermost first.
func writeParents(writeDir func(string) error, top, full string) error {
	var parents []string
	for d := path.Dir(full); d != top && d != "."; d = path.Dir(d) {
		parents = append(parents, d)
	}
	for i := len(parents) - 1; i >= 0; i-- {
		if err := writeDir(parents[i]); err != nil {
			return err
		}
	}
	return nil
}

// CheckChart checks that a chart archive uploaded at the service-level path
// uri unpacks under the chart rules, without writing anything.
func CheckChart(uri string, archive []byte) error {
	rel, err := CleanResourceURI(uri)
	if err != nil {
		return err
	}
	_, err = unpackChart(chartDir(rel), archive)
	return err
}
