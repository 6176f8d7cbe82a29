package configsvc

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/keptn-api/keptn-api/store"
)

// upstreamPolicy decides which git upstreams a project may have. An upstream
// is pushed to, so a file:// upstream could write into any repository that
// the server's user can write, including the server's own repositories.
type upstreamPolicy struct {
	// dataDir is the resolved data directory. No upstream may lie in it.
	dataDir string
	// fileRoot is the resolved directory below which file:// upstreams may
	// lie, or "" when file:// upstreams are rejected.
	fileRoot string
}

// newUpstreamPolicy resolves the data directory and the file upstream root.
// The root must be an existing directory outside the data directory.
func newUpstreamPolicy(dataDir, fileRoot string) (upstreamPolicy, error) {
	if dataDir == "" {
		return upstreamPolicy{}, errors.New("configsvc: the data directory is required")
	}
	data, err := resolvePath(dataDir)
	if err != nil {
		return upstreamPolicy{}, fmt.Errorf("failed to resolve the data directory: %w", err)
	}
	p := upstreamPolicy{dataDir: data}
	if fileRoot == "" {
		return p, nil
	}
	root, err := resolvePath(fileRoot)
	if err != nil {
		return upstreamPolicy{}, fmt.Errorf("invalid --file-upstream-root %q: %w", fileRoot, err)
	}
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return upstreamPolicy{}, fmt.Errorf("invalid --file-upstream-root %q: it is not an existing directory", fileRoot)
	}
	if within(root, data) {
		return upstreamPolicy{}, fmt.Errorf("invalid --file-upstream-root %q: it lies inside the data directory %q", fileRoot, dataDir)
	}
	p.fileRoot = root
	return p, nil
}

// CheckUpstream returns the upstream of user, token and remote URI: nil when
// all three are empty, an InvalidError when only some are given or when the
// remote URI is not allowed (see checkRemote).
func (s *Service) CheckUpstream(user, token, remoteURI string) (*store.Upstream, error) {
	switch {
	case user == "" && token == "" && remoteURI == "":
		return nil, nil
	case user == "" || token == "" || remoteURI == "":
		return nil, invalid("incomplete git upstream: gitUser, gitToken and the remote URI must be given together")
	}
	if err := s.upstreams.checkRemote(remoteURI); err != nil {
		return nil, err
	}
	return &store.Upstream{User: user, Token: token, RemoteURI: remoteURI}, nil
}

// checkRemote accepts http and https URLs, and file URLs whose path, with
// symbolic links resolved, lies below the file upstream root and outside the
// data directory. A remote without a "scheme://" prefix is rejected, because
// the git transport would read it as a local path, relative ones against the
// server's working directory.
//
// The messages never quote the URI as given: it can carry a password.
//
// NOTE: upstreams stored before this check existed are not checked again;
// pulls and pushes of such a project still use them.
func (p upstreamPolicy) checkRemote(remoteURI string) error {
	scheme, _, ok := strings.Cut(remoteURI, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, ":/@") {
		return invalid("invalid git upstream: the remote URI must be a URL of the http, https or file scheme, such as https://git.example.com/org/repo.git")
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
		return nil
	case "file":
		return p.checkFileRemote(remoteURI)
	default:
		return invalid("invalid git upstream: unsupported URL scheme %q: use http, https or file", scheme)
	}
}

func (p upstreamPolicy) checkFileRemote(remoteURI string) error {
	u, err := url.Parse(remoteURI)
	if err != nil {
		return invalid("invalid git upstream: the file URL cannot be parsed")
	}
	displayURL := "file://" + u.Path
	switch {
	case u.User != nil || (u.Host != "" && u.Host != "localhost") || u.RawQuery != "" || u.Fragment != "":
		return invalid("invalid git upstream %q: a file URL has the form file:///absolute/path, without user, host, query or fragment", displayURL)
	case p.fileRoot == "":
		return invalid("git upstream %q uses the file URL scheme, which this server rejects; its operator can allow file upstreams below a directory with --file-upstream-root (KEPTN_FILE_UPSTREAM_ROOT)", displayURL)
	case !filepath.IsAbs(u.Path):
		return invalid("invalid git upstream %q: the path of a file URL must be absolute", displayURL)
	}
	path, err := resolvePath(u.Path)
	if err != nil {
		return invalid("invalid git upstream %q: its path cannot be resolved", displayURL)
	}
	if within(path, p.dataDir) {
		return invalid("git upstream %q lies inside the server's data directory, which no upstream may", displayURL)
	}
	if !within(path, p.fileRoot) {
		return invalid("git upstream %q lies outside the directory that --file-upstream-root allows", displayURL)
	}
	return nil
}

// resolvePath returns the absolute, cleaned form of path with the symbolic
// links of its longest existing prefix resolved. The missing rest is
// appended as written, so that a repository that does not exist yet is
// judged by where it would be.
func resolvePath(path string) (string, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var rest []string
	for {
		resolved, err := filepath.EvalSymlinks(path)
		if err == nil {
			return filepath.Join(append([]string{resolved}, rest...)...), nil
		}
		parent := filepath.Dir(path)
		if !errors.Is(err, fs.ErrNotExist) || parent == path {
			return "", err
		}
		rest = append([]string{filepath.Base(path)}, rest...)
		path = parent
	}
}

// within reports whether path is dir or lies below it. Both are resolved.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
