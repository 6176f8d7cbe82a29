package gitrepo

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/keptn-api/keptn-api/store"
)

func TestMaskSecrets(t *testing.T) {
	const token = "ab/c+d=e f"
	cases := []struct {
		name string
		text string
		want string
	}{
		{"plain", "push failed for " + token + " now", "push failed for ******** now"},
		{"query escape", "url ?t=" + url.QueryEscape(token), "url ?t=********"},
		{"path escape", "url /" + url.PathEscape(token) + "/repo", "url /********/repo"},
		{"userinfo", `Get "https://user:` + token + `@host/repo.git"`, `Get "https://user:********@host/repo.git"`},
		{"userinfo escaped", `Get "https://user:` + url.PathEscape(token) + `@host/r"`, `Get "https://user:********@host/r"`},
		{"other password in URL", "https://bob:hunter2@host/r", "https://bob:********@host/r"},
		{"user without password", "https://bob@host/r", "https://bob@host/r"},
		{"twice", token + token, "****************"},
		{"absent", "nothing secret here", "nothing secret here"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := maskSecrets(tc.text, token); got != tc.want {
				t.Errorf("maskSecrets(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

// TestMaskSecretsShortToken checks that a token shorter than
// minLiteralSecret is masked where it stands alone and by structure, while
// the words that contain it stay readable.
func TestMaskSecretsShortToken(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("u:t"))
	cases := []struct {
		name string
		text string
		want string
	}{
		{"inside words", `gitrepo: project "up": list remote branches: authentication required`, `gitrepo: project "up": list remote branches: authentication required`},
		{"standalone", "token t rejected", "token ******** rejected"},
		{"quoted", `user "u" token "t"`, `user "u" token "********"`},
		{"at the ends", "t", "********"},
		{"userinfo", "https://u:t@host/r.git", "https://u:********@host/r.git"},
		{"authorization header", "Authorization: Basic " + basic + "\r\n", "Authorization: ********\r\n"},
		{"basic credentials", "sent Basic " + basic + " to host", "sent Basic ******** to host"},
		{"bearer", "sent bearer t to host", "sent bearer ******** to host"},
		{"basic as a word", "basic authentication failed", "basic authentication failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := maskSecrets(tc.text, "t", basic); got != tc.want {
				t.Errorf("maskSecrets(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestMaskSecretsIgnoresEmpty(t *testing.T) {
	if got := maskSecrets("abc", "", ""); got != "abc" {
		t.Errorf("maskSecrets with empty secrets = %q, want the text unchanged", got)
	}
}

func TestUpstreamErrorMasksAndWraps(t *testing.T) {
	creds := &credentials{User: "keptn", Token: "s3cr3t/tok", RemoteURI: "https://keptn:pw0rd@git.example.com/r.git"}
	basic := base64.StdEncoding.EncodeToString([]byte("keptn:s3cr3t/tok"))
	cause := fmt.Errorf("request to https://keptn:pw0rd@git.example.com/r.git with s3cr3t/tok, %s and Basic %s failed",
		url.QueryEscape("s3cr3t/tok"), basic)
	err := newUpstreamError("p", "push", cause, creds)

	if !errors.Is(err, store.ErrUpstream) {
		t.Errorf("errors.Is(err, ErrUpstream) = false for %v", err)
	}
	text := err.Error()
	for _, secret := range []string{"s3cr3t", "pw0rd", basic, url.QueryEscape("s3cr3t/tok")} {
		if strings.Contains(text, secret) {
			t.Errorf("error text contains %q: %s", secret, text)
		}
	}
	if !strings.Contains(text, `project "p"`) || !strings.Contains(text, "push") {
		t.Errorf("error text lacks the project or the operation: %s", text)
	}
	// The cause is not reachable through errors.Unwrap, because it could
	// carry the secret.
	var target interface{ Unwrap() error }
	if errors.As(err, &target) {
		t.Errorf("an error in the chain of %v unwraps further", err)
	}
}

func TestStripUserinfo(t *testing.T) {
	cases := map[string]string{
		"https://user:tok@git.example.com/r.git": "https://git.example.com/r.git",
		"https://git.example.com/r.git":          "https://git.example.com/r.git",
		"file:///srv/r.git":                      "file:///srv/r.git",
		"/srv/r.git":                             "/srv/r.git",
	}
	for in, want := range cases {
		if got := stripUserinfo(in); got != want {
			t.Errorf("stripUserinfo(%q) = %q, want %q", in, got, want)
		}
	}
}
