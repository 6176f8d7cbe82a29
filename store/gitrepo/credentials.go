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

// authorizationHeader matches the value of an Authorization header, and
// basicOrBearer the credentials after a Basic or Bearer scheme name.
var (
	authorizationHeader = regexp.MustCompile(`(?i)(authorization:[ \t]*)(?:(?:basic|bearer)[ \t]+)?[^\s"',;]+`)
	basicOrBearer       = regexp.MustCompile(`(?i)\b(basic|bearer)([ \t]+)([A-Za-z0-9+/._~-]+=*)`)
)

// minLiteralSecret is the length from which a secret is masked wherever it
// occurs. A shorter one, such as the one-letter token of a quick test,
// occurs inside ordinary words, so it is masked only as a separate word:
// where no letter or digit directly precedes or follows it.
const minLiteralSecret = 6

// maskSecrets masks the credentials in text with secretMask. It masks by
// structure any password in the userinfo of a URL, the value of an
// Authorization header and base64 Basic credentials, named in secrets or
// not. Then it masks each secret, as written and in its URL query and path
// escapes: everywhere when it has at least minLiteralSecret bytes, else
// only as a separate word. Empty secrets are ignored.
func maskSecrets(text string, secrets ...string) string {
	text = urlPassword.ReplaceAllString(text, "${1}"+secretMask+"@")
	text = authorizationHeader.ReplaceAllString(text, "${1}"+secretMask)
	text = basicOrBearer.ReplaceAllStringFunc(text, func(m string) string {
		sub := basicOrBearer.FindStringSubmatch(m)
		if strings.EqualFold(sub[1], "basic") && !isBasicCredentials(sub[3]) {
			return m // a word such as "basic authentication", not credentials
		}
		return sub[1] + sub[2] + secretMask
	})

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
		if len(f) >= minLiteralSecret {
			text = strings.ReplaceAll(text, f, secretMask)
		} else {
			text = replaceStandalone(text, f, secretMask)
		}
	}
	return text
}

// isBasicCredentials reports whether value is the base64 of "user:password".
func isBasicCredentials(value string) bool {
	raw, err := base64.StdEncoding.DecodeString(value)
	return err == nil && strings.Contains(string(raw), ":")
}

// replaceStandalone replaces the occurrences of secret in text that are not
// directly preceded or followed by a letter or digit.
func replaceStandalone(text, secret, replacement string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, secret)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		end := i + len(secret)
		standalone := (i == 0 || !isAlnum(text[i-1]) || !isAlnum(secret[0])) &&
			(end == len(text) || !isAlnum(text[end]) || !isAlnum(secret[len(secret)-1]))
		if standalone {
			b.WriteString(text[:i])
			b.WriteString(replacement)
			text = text[end:]
			continue
		}
		b.WriteString(text[:i+1])
		text = text[i+1:]
	}
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
