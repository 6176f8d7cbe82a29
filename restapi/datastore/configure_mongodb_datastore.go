// This file is safe to edit. Once it exists it will not be overwritten

package datastore

import (
	"crypto/tls"
	"net/http"

	"github.com/go-openapi/errors"
	"github.com/go-openapi/runtime"
	"github.com/keptn-api/keptn-api/restapi/datastore/operations"
	"github.com/keptn-api/keptn-api/restapi/datastore/operations/event"
)

//go:generate swagger generate server --target ../.. --name MongodbDatastore --spec ../../swagger/mongodb-datastore.yaml --model-package models/datastore --server-package restapi/datastore --principal any --exclude-main --strict-responders

func configureFlags(api *operations.MongodbDatastoreAPI) {
	// api.CommandLineOptionsGroups = []cmdutils.CommandLineOptionsGroup{ ... }
	_ = api
}

func configureAPI(api *operations.MongodbDatastoreAPI) http.Handler {
	// configure the api here
	api.ServeError = errors.ServeError

	// Set your custom logger if needed. Default one is log.Printf
	// Expected interface func(string, ...any)
	//
	// Example:
	// api.Logger = log.Printf

	api.UseSwaggerUI()
	// To continue using redoc as your UI, uncomment the following line
	// api.UseRedoc()

	api.JSONConsumer = runtime.JSONConsumer()

	api.JSONProducer = runtime.JSONProducer()

	// Applies when the "x-token" header is set
	if api.KeyAuth == nil {
		api.KeyAuth = func(token string) (any, error) {
			_ = token

			return nil, errors.NotImplemented("api key auth (key) x-token from header param [x-token] has not yet been implemented")
		}
	}

	// Set your custom authorizer if needed. Default one is security.Authorized()
	// Expected interface runtime.Authorizer
	//
	// Example:
	// api.APIAuthorizer = security.Authorized()

	if api.EventGetEventsHandler == nil {
		api.EventGetEventsHandler = event.GetEventsHandlerFunc(func(params event.GetEventsParams, principal any) event.GetEventsResponder {
			_ = params
			_ = principal

			return event.GetEventsNotImplemented()
		})
	}
	if api.EventGetEventsByTypeHandler == nil {
		api.EventGetEventsByTypeHandler = event.GetEventsByTypeHandlerFunc(func(params event.GetEventsByTypeParams, principal any) event.GetEventsByTypeResponder {
			_ = params
			_ = principal

			return event.GetEventsByTypeNotImplemented()
		})
	}
	if api.EventSaveEventHandler == nil {
		api.EventSaveEventHandler = event.SaveEventHandlerFunc(func(params event.SaveEventParams, principal any) event.SaveEventResponder {
			_ = params
			_ = principal

			return event.SaveEventNotImplemented()
		})
	}

	api.PreServerShutdown = func() {}

	api.ServerShutdown = func() {}

	return setupGlobalMiddleware(api.Serve(setupMiddlewares))
}

// The TLS configuration before HTTPS server starts.
func configureTLS(tlsConfig *tls.Config) {
	// Make all necessary changes to the TLS configuration here.
	_ = tlsConfig
}

// As soon as server is initialized but not run yet, this function will be called.
// If you need to modify a config, store server instance to stop it individually later, this is the place.
// This function can be called multiple times, depending on the number of serving schemes.
// scheme value will be set accordingly: "http", "https" or "unix".
func configureServer(server *http.Server, scheme, addr string) {
	_ = server
	_ = scheme
	_ = addr
}

// The middleware configuration is for the handler executors. These do not apply to the swagger.json document.
// The middleware executes after routing but before authentication, binding and validation.
func setupMiddlewares(handler http.Handler) http.Handler {
	return handler
}

// The middleware configuration happens before anything, this middleware also applies to serving the swagger.json document.
// So this is a good place to plug in a panic handling middleware, logging and metrics.
func setupGlobalMiddleware(handler http.Handler) http.Handler {
	return handler
}
