package gitrepo

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/keptn-api/keptn-api/store"
)

// credentialsFile is the name of the upstream file inside a repository
// directory. It lies outside the git objects, so it is never pushed, and it
// goes with the directory when the repository is deleted.
const credentialsFile = "upstream.json"

// secretMask replaces every secret in error texts.
const secretMask = "********"

// credentials is the stored upstream of a project, in the JSON shape of
// Keptn's git-credentials secret.
type credentials struct {
	User      string `json:"user"`
	Token     string `json:"token"`
	RemoteURI string `json:"remoteURI"`
}

func newCredentials(u store.Upstream) *credentials {
	return &credentials{User: u.User, Token: u.Token, RemoteURI: u.RemoteURI}
}

// readCredentials returns the stored upstream of the repository in dir, or
// nil when it has none.
func readCredentials(dir string) (*credentials, error) {
	data, err := os.ReadFile(filepath.Join(dir, credentialsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read upstream: %w", err)
	}
	var c credentials
	if err := json.Unmarshal(data, &c); err != nil {
		// The error of json.Unmarshal can quote the content, so it is not
		// passed on.
		return nil, fmt.Errorf("read upstream: %s is not valid JSON", credentialsFile)
	}
	return &c, nil
}

// writeCredentials replaces the upstream file of the repository in dir with
// an owner-only file.
func writeCredentials(dir string, c *credentials) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(dir, filepath.Join(dir, credentialsFile), data, 0o600); err != nil {
		return fmt.Errorf("write upstream: %w", err)
	}
	return nil
}

// publicURL returns the remote URI without userinfo.
func (c *credentials) publicURL() string {
	return stripUserinfo(c.RemoteURI)
}

func stripUserinfo(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.User == nil || u.Host == "" {
		return uri
	}
	u.User = nil
	return u.String()
}

// secrets returns the token, the basic authorization value built from it,
// and a password written into the remote URI.
func (c *credentials) secrets() []string {
	var secrets []string
	if c.Token != "" {
		basic := base64.StdEncoding.EncodeToString([]byte(c.User + ":" + c.Token))
		secrets = append(secrets, c.Token, basic)
	}
	if u, err := url.Parse(c.RemoteURI); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw)
		}
	}
	return secrets
}

// urlPassword matches the password in the userinfo of a URL.
var urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*:)[^/@\s]*@`)

// maskSecrets replaces each secret in text with secretMask, as written and
// in its URL query and path escapes. It also masks any password in the
// userinfo of a URL, named in secrets or not. Empty secrets are ignored.
func maskSecrets(text string, secrets ...string) string {
	text = urlPassword.ReplaceAllString(text, "${1}"+secretMask+"@")

	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s))
	}
	// Longer forms first, so that a form containing another is replaced
	// whole.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	for _, f := range forms {
		text = strings.ReplaceAll(text, f, secretMask)
	}
	return text
}
