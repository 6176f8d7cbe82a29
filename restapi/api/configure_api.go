// This file is safe to edit. Once it exists it will not be overwritten

package api

import (
	"crypto/tls"
	"net/http"

	"github.com/go-openapi/errors"
	"github.com/go-openapi/runtime"
	"github.com/keptn-api/keptn-api/restapi/api/operations"
	"github.com/keptn-api/keptn-api/restapi/api/operations/auth"
	"github.com/keptn-api/keptn-api/restapi/api/operations/configuration"
	"github.com/keptn-api/keptn-api/restapi/api/operations/evaluation"
	"github.com/keptn-api/keptn-api/restapi/api/operations/event"
	"github.com/keptn-api/keptn-api/restapi/api/operations/metadata"
	"github.com/keptn-api/keptn-api/restapi/api/operations/project"
	"github.com/keptn-api/keptn-api/restapi/api/operations/service"
)

//go:generate swagger generate server --target ../.. --name API --spec ../../swagger/api.yaml --model-package models/api --server-package restapi/api --principal any --exclude-main --strict-responders

func configureFlags(api *operations.APIAPI) {
	// api.CommandLineOptionsGroups = []cmdutils.CommandLineOptionsGroup{ ... }
	_ = api
}

func configureAPI(api *operations.APIAPI) http.Handler {
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

	if api.AuthAuthHandler == nil {
		api.AuthAuthHandler = auth.AuthHandlerFunc(func(params auth.AuthParams, principal any) auth.AuthResponder {
			_ = params
			_ = principal

			return auth.AuthNotImplemented()
		})
	}
	if api.ProjectDeleteProjectProjectNameHandler == nil {
		api.ProjectDeleteProjectProjectNameHandler = project.DeleteProjectProjectNameHandlerFunc(func(params project.DeleteProjectProjectNameParams, principal any) project.DeleteProjectProjectNameResponder {
			_ = params
			_ = principal

			return project.DeleteProjectProjectNameNotImplemented()
		})
	}
	if api.ServiceDeleteProjectProjectNameServiceServiceNameHandler == nil {
		api.ServiceDeleteProjectProjectNameServiceServiceNameHandler = service.DeleteProjectProjectNameServiceServiceNameHandlerFunc(func(params service.DeleteProjectProjectNameServiceServiceNameParams, principal any) service.DeleteProjectProjectNameServiceServiceNameResponder {
			_ = params
			_ = principal

			return service.DeleteProjectProjectNameServiceServiceNameNotImplemented()
		})
	}
	if api.ConfigurationGetConfigBridgeHandler == nil {
		api.ConfigurationGetConfigBridgeHandler = configuration.GetConfigBridgeHandlerFunc(func(params configuration.GetConfigBridgeParams, principal any) configuration.GetConfigBridgeResponder {
			_ = params
			_ = principal

			return configuration.GetConfigBridgeNotImplemented()
		})
	}
	if api.EventGetEventHandler == nil {
		api.EventGetEventHandler = event.GetEventHandlerFunc(func(params event.GetEventParams, principal any) event.GetEventResponder {
			_ = params
			_ = principal

			return event.GetEventNotImplemented()
		})
	}
	if api.MetadataMetadataHandler == nil {
		api.MetadataMetadataHandler = metadata.MetadataHandlerFunc(func(params metadata.MetadataParams, principal any) metadata.MetadataResponder {
			_ = params
			_ = principal

			return metadata.MetadataNotImplemented()
		})
	}
	if api.ConfigurationPostConfigBridgeHandler == nil {
		api.ConfigurationPostConfigBridgeHandler = configuration.PostConfigBridgeHandlerFunc(func(params configuration.PostConfigBridgeParams, principal any) configuration.PostConfigBridgeResponder {
			_ = params
			_ = principal

			return configuration.PostConfigBridgeNotImplemented()
		})
	}
	if api.EventPostEventHandler == nil {
		api.EventPostEventHandler = event.PostEventHandlerFunc(func(params event.PostEventParams, principal any) event.PostEventResponder {
			_ = params
			_ = principal

			return event.PostEventNotImplemented()
		})
	}
	if api.ProjectPostProjectHandler == nil {
		api.ProjectPostProjectHandler = project.PostProjectHandlerFunc(func(params project.PostProjectParams, principal any) project.PostProjectResponder {
			_ = params
			_ = principal

			return project.PostProjectNotImplemented()
		})
	}
	if api.ServicePostProjectProjectNameServiceHandler == nil {
		api.ServicePostProjectProjectNameServiceHandler = service.PostProjectProjectNameServiceHandlerFunc(func(params service.PostProjectProjectNameServiceParams, principal any) service.PostProjectProjectNameServiceResponder {
			_ = params
			_ = principal

			return service.PostProjectProjectNameServiceNotImplemented()
		})
	}
	if api.EvaluationTriggerEvaluationHandler == nil {
		api.EvaluationTriggerEvaluationHandler = evaluation.TriggerEvaluationHandlerFunc(func(params evaluation.TriggerEvaluationParams, principal any) evaluation.TriggerEvaluationResponder {
			_ = params
			_ = principal

			return evaluation.TriggerEvaluationNotImplemented()
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
