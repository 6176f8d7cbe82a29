package bridge

import (
	"errors"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestStoreHashesPassword(t *testing.T) {
	s := NewStore(t.TempDir())
	// The lowest cost keeps the test fast. Check reads the cost from the hash.
	s.cost = bcrypt.MinCost
	if _, err := s.User(); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("User before Set: %v, want ErrNotConfigured", err)
	}
	if err := s.Set("keptn", "first-password"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("admin", "second-password"); err != nil {
		t.Fatal(err)
	}

	if user, err := s.User(); err != nil || user != "admin" {
		t.Errorf("User = %q, %v, want admin", user, err)
	}
	tests := []struct {
		user, password string
		want           bool
	}{
		{"admin", "second-password", true},
		{"admin", "first-password", false},
		{"keptn", "second-password", false},
		{"admin", "", false},
	}
	for _, tt := range tests {
		ok, err := s.Check(tt.user, tt.password)
		if err != nil {
			t.Fatal(err)
		}
		if ok != tt.want {
			t.Errorf("Check(%q, %q) = %v, want %v", tt.user, tt.password, ok, tt.want)
		}
	}
}
