package keptn

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenLifetime is how long an eventContext token stays valid: 8640 hours
// (360 days), as in Keptn 0.7.
const TokenLifetime = 8640 * time.Hour

// TokenSigner issues and checks the token of an eventContext: an HS256 JWT
// signed with the API token whose only claim is its expiry. Clients present it
// to open the log websocket.
type TokenSigner struct {
	key []byte
}

// NewTokenSigner returns a signer keyed by the API token.
func NewTokenSigner(apiToken string) (*TokenSigner, error) {
	if apiToken == "" {
		return nil, errors.New("token signer: empty API token")
	}
	return &TokenSigner{key: []byte(apiToken)}, nil
}

// Sign returns a token issued at now.
func (s *TokenSigner) Sign(now time.Time) (string, error) {
	claims := jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(now.Add(TokenLifetime))}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign eventContext token: %w", err)
	}
	return signed, nil
}

// Verify checks the signature, algorithm and expiry of a token.
func (s *TokenSigner) Verify(token string) error {
	_, err := jwt.ParseWithClaims(token, &jwt.RegisteredClaims{}, func(*jwt.Token) (any, error) {
		return s.key, nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired())
	if err != nil {
		return fmt.Errorf("invalid eventContext token: %w", err)
	}
	return nil
}
