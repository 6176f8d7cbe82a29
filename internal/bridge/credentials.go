// Package bridge keeps the credentials of the Keptn bridge, the web UI whose
// basic authentication Keptn 0.7 configured through the api collection. They
// live in one file of the data directory with mode 0600. The password is
// stored only as a bcrypt hash, so it cannot be read back.
package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/keptn-api/keptn-api/internal/configsvc"
)

// ErrNotConfigured reports that no credentials were set yet.
var ErrNotConfigured = errors.New("bridge credentials are not configured")

// fileName is the credentials file in the data directory.
const fileName = "bridge-credentials.json"

// maxPasswordBytes is the longest password bcrypt hashes in full.
const maxPasswordBytes = 72

// maxUserBytes is the longest user name. It is far above the names people
// type, and keeps a request from storing a large file as the name.
const maxUserBytes = 128

// Store reads and writes the credentials file. It is safe for concurrent use.
type Store struct {
	path string
	// cost is the bcrypt cost of new hashes.
	cost int
	mu   sync.Mutex
}

// stored is the content of the credentials file.
type stored struct {
	User         string `json:"user"`
	PasswordHash string `json:"passwordHash"`
}

// NewStore returns the store of the credentials file in dataDir.
func NewStore(dataDir string) *Store {
	return &Store{path: filepath.Join(dataDir, fileName), cost: bcrypt.DefaultCost}
}

// User returns the user name, or ErrNotConfigured.
func (s *Store) User() (string, error) {
	c, err := s.load()
	return c.User, err
}

func (s *Store) load() (stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	raw, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return stored{}, ErrNotConfigured
	}
	if err != nil {
		return stored{}, fmt.Errorf("read bridge credentials: %w", err)
	}
	var c stored
	if err := json.Unmarshal(raw, &c); err != nil {
		return stored{}, fmt.Errorf("read bridge credentials %s: %w", s.path, err)
	}
	return c, nil
}

// Set replaces the credentials. An empty password, a password longer than 72
// bytes and a user that checkUser rejects return an InvalidError that never
// quotes the password.
func (s *Store) Set(user, password string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	switch {
	case password == "":
		return &configsvc.InvalidError{Message: "no password provided"}
	case len(password) > maxPasswordBytes:
		return &configsvc.InvalidError{Message: fmt.Sprintf("invalid password: it has %d bytes, the maximum is %d", len(password), maxPasswordBytes)}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return fmt.Errorf("hash bridge password: %w", err)
	}
	raw, err := json.Marshal(stored{User: user, PasswordHash: string(hash)})
	if err != nil {
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	return writeFileAtomic(s.path, raw)
}

// checkUser checks a user name: not empty, at most maxUserBytes of UTF-8,
// only printable characters, and no colon, which basic authentication
// cannot carry.
func checkUser(user string) error {
	if user == "" {
		return &configsvc.InvalidError{Message: "no user provided"}
	}
	if len(user) > maxUserBytes {
		return &configsvc.InvalidError{Message: fmt.Sprintf("invalid user %q...: it has %d bytes, the maximum is %d", user[:32], len(user), maxUserBytes)}
	}
	if !utf8.ValidString(user) {
		return &configsvc.InvalidError{Message: fmt.Sprintf("invalid user %q: it is not valid UTF-8", user)}
	}
	if strings.Contains(user, ":") {
		return &configsvc.InvalidError{Message: fmt.Sprintf("invalid user %q: it must not contain a colon", user)}
	}
	for i, r := range user {
		if !unicode.IsPrint(r) {
			return &configsvc.InvalidError{Message: fmt.Sprintf("invalid user %q: the character %U at byte %d is not printable; use letters, digits, punctuation and spaces", user, r, i)}
		}
	}
	return nil
}

// Check reports whether user and password match the stored credentials.
func (s *Store) Check(user, password string) (bool, error) {
	c, err := s.load()
	if err != nil {
		return false, err
	}
	return c.User == user && bcrypt.CompareHashAndPassword([]byte(c.PasswordHash), []byte(password)) == nil, nil
}

// writeFileAtomic writes a file with mode 0600 through a temporary file and a
// rename, so a crash leaves either the old or the new content.
func writeFileAtomic(path string, content []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write bridge credentials: %w", err)
	}
	defer os.Remove(tmp.Name())

	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(content)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write bridge credentials: %w", err)
	}
	return nil
}
