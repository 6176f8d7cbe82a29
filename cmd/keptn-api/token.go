package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/keptn-api/keptn-api/internal/keptn"
)

func tokenPath(dataDir string) string {
	return filepath.Join(dataDir, "api-token")
}

// apiToken returns the configured token, else the one kept in the data
// directory, else a new one that it keeps there with mode 0600. generated
// reports the last case.
func apiToken(opts options) (token string, generated bool, err error) {
	if opts.APIToken != "" {
		return opts.APIToken, false, nil
	}
	path := tokenPath(opts.DataDir)
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		token = strings.TrimSpace(string(raw))
		if token == "" {
			return "", false, fmt.Errorf("API token file %s is empty: delete it to generate a new token", path)
		}
		return token, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("read API token: %w", err)
	}

	token, err = keptn.GenerateToken()
	if err != nil {
		return "", false, err
	}
	// O_EXCL keeps a token that a concurrent first start wrote.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("store API token: %w", err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("store API token: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", false, fmt.Errorf("store API token: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("store API token: %w", err)
	}
	return token, true, nil
}
