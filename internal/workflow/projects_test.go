package workflow

import "testing"

func TestPublicURL(t *testing.T) {
	tests := map[string]string{
		"https://bot:tok-123@git.example.com/acme/sockshop.git": "https://git.example.com/acme/sockshop.git",
		"https://git.example.com/acme/sockshop.git":             "https://git.example.com/acme/sockshop.git",
		"file:///srv/git/sockshop.git":                          "file:///srv/git/sockshop.git",
	}
	for remote, want := range tests {
		if got := publicURL(remote); got != want {
			t.Errorf("publicURL(%q) = %q, want %q", remote, got, want)
		}
	}
}
