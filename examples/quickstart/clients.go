package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"

	apiclient "github.com/keptn-api/keptn-api/client/api"
	"github.com/keptn-api/keptn-api/client/api/auth"
	configclient "github.com/keptn-api/keptn-api/client/configuration"
	datastoreclient "github.com/keptn-api/keptn-api/client/datastore"
)

// clients are the generated clients of the three collections, each bound to
// its public base path below one endpoint and sending the token.
type clients struct {
	API           *apiclient.API
	Configuration *configclient.ConfigurationService
	Datastore     *datastoreclient.MongodbDatastore
}

// connect builds the clients for an endpoint such as
// http://127.0.0.1:8080/api and checks the token with POST /v1/auth.
func connect(ctx context.Context, endpoint, token string) (*clients, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid endpoint %q: expected http(s)://host[:port]/api", endpoint)
	}
	base := strings.TrimSuffix(u.Path, "/")

	// Every collection is a separate spec with its own base path, and the
	// generated code takes the path from the transport.
	transport := func(basePath string) *httptransport.Runtime {
		rt := httptransport.New(u.Host, base+basePath, []string{u.Scheme})
		rt.DefaultAuthentication = httptransport.APIKeyAuth("x-token", "header", token)
		return rt
	}
	c := &clients{
		API:           apiclient.New(transport("/v1"), strfmt.Default),
		Configuration: configclient.New(transport("/configuration-service/v1"), strfmt.Default),
		Datastore:     datastoreclient.New(transport("/mongodb-datastore"), strfmt.Default),
	}

	if _, err := c.API.Auth.AuthContext(ctx, auth.NewAuthParamsWithContext(ctx), nil); err != nil {
		return nil, fmt.Errorf("check the API token at %s: %w", endpoint, describe(err))
	}
	return c, nil
}
