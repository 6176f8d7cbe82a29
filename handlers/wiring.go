package handlers

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"

	oaerrors "github.com/go-openapi/errors"
	"github.com/go-openapi/loads"
	"github.com/go-openapi/runtime/middleware"

	"github.com/keptn-api/keptn-api/internal/httpx"
)

// generatedAPI is the part of a generated go-swagger API that wiring uses.
type generatedAPI interface {
	Validate() error
	Context() *middleware.Context
	Serve(middleware.Builder) http.Handler
}

// loadSpec parses the spec that go-swagger embedded in a generated package.
func loadSpec(name string, raw []byte) (*loads.Document, error) {
	doc, err := loads.Analyzed(raw, "")
	if err != nil {
		return nil, fmt.Errorf("load %s spec: %w", name, err)
	}
	return doc, nil
}

// clearHandlers sets every operation handler of a generated API to nil.
//
// The generated constructor fills each handler with a stub that answers 501,
// which would let an operation without a handler of ours pass Validate. After
// clearing, Validate fails for any operation this package does not assign.
func clearHandlers(api any) {
	v := reflect.ValueOf(api).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && strings.HasSuffix(f.Name, "Handler") && f.Type.Kind() == reflect.Interface {
			v.Field(i).SetZero()
		}
	}
}

// serve checks that every operation has a handler and returns the API's
// router. The router serves only the spec's operations: go-swagger's extra
// /swagger.json and ReDoc pages are left out, because the server publishes
// the specs and the Swagger UI itself.
func serve(name string, api generatedAPI, setMiddleware func(func(middleware.Builder) http.Handler)) (http.Handler, error) {
	if err := api.Validate(); err != nil {
		return nil, fmt.Errorf("%s API: %w", name, err)
	}
	setMiddleware(func(b middleware.Builder) http.Handler {
		return api.Context().RoutesHandler(b)
	})
	return api.Serve(nil), nil
}

// keyAuth returns the check for the x-token security scheme of a generated
// API. The router's TokenAuth wrapper has already checked the token, so this
// one only matters when an API is served without that wrapper.
func keyAuth(auth *httpx.TokenAuth) func(string) (any, error) {
	return func(token string) (any, error) {
		if !auth.Valid(token) {
			return nil, errIncorrectToken
		}
		return authenticated{scheme: "x-token"}, nil
	}
}

// authenticated is the principal of a request with a valid token. It names
// the scheme and not the token, so the token travels no further than the
// check. It must not be a zero value: go-swagger treats that as anonymous.
type authenticated struct {
	scheme string
}

var errIncorrectToken = oaerrors.New(http.StatusUnauthorized, "incorrect api key auth")
