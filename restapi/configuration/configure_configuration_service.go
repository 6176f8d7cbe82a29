// This file is safe to edit. Once it exists it will not be overwritten

package configuration

import (
	"crypto/tls"
	"net/http"

	"github.com/go-openapi/errors"
	"github.com/go-openapi/runtime"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/approval"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/event"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/project"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/project_resource"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/remediation"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/service_default_resource"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/service_resource"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/services"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/stage"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/stage_resource"
)

//go:generate swagger generate server --target ../.. --name ConfigurationService --spec ../../swagger/configuration-service.yaml --model-package models/configuration --server-package restapi/configuration --principal any --exclude-main --strict-responders

func configureFlags(api *operations.ConfigurationServiceAPI) {
	// api.CommandLineOptionsGroups = []cmdutils.CommandLineOptionsGroup{ ... }
	_ = api
}

func configureAPI(api *operations.ConfigurationServiceAPI) http.Handler {
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

	if api.ProjectDeleteProjectProjectNameHandler == nil {
		api.ProjectDeleteProjectProjectNameHandler = project.DeleteProjectProjectNameHandlerFunc(func(params project.DeleteProjectProjectNameParams, principal any) project.DeleteProjectProjectNameResponder {
			_ = params
			_ = principal

			return project.DeleteProjectProjectNameNotImplemented()
		})
	}
	if api.ProjectResourceDeleteProjectProjectNameResourceResourceURIHandler == nil {
		api.ProjectResourceDeleteProjectProjectNameResourceResourceURIHandler = project_resource.DeleteProjectProjectNameResourceResourceURIHandlerFunc(func(params project_resource.DeleteProjectProjectNameResourceResourceURIParams, principal any) project_resource.DeleteProjectProjectNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return project_resource.DeleteProjectProjectNameResourceResourceURINotImplemented()
		})
	}
	if api.ServiceDefaultResourceDeleteProjectProjectNameServiceServiceNameResourceResourceURIHandler == nil {
		api.ServiceDefaultResourceDeleteProjectProjectNameServiceServiceNameResourceResourceURIHandler = service_default_resource.DeleteProjectProjectNameServiceServiceNameResourceResourceURIHandlerFunc(func(params service_default_resource.DeleteProjectProjectNameServiceServiceNameResourceResourceURIParams, principal any) service_default_resource.DeleteProjectProjectNameServiceServiceNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return service_default_resource.DeleteProjectProjectNameServiceServiceNameResourceResourceURINotImplemented()
		})
	}
	if api.StageDeleteProjectProjectNameStageStageNameHandler == nil {
		api.StageDeleteProjectProjectNameStageStageNameHandler = stage.DeleteProjectProjectNameStageStageNameHandlerFunc(func(params stage.DeleteProjectProjectNameStageStageNameParams, principal any) stage.DeleteProjectProjectNameStageStageNameResponder {
			_ = params
			_ = principal

			return stage.DeleteProjectProjectNameStageStageNameNotImplemented()
		})
	}
	if api.StageResourceDeleteProjectProjectNameStageStageNameResourceResourceURIHandler == nil {
		api.StageResourceDeleteProjectProjectNameStageStageNameResourceResourceURIHandler = stage_resource.DeleteProjectProjectNameStageStageNameResourceResourceURIHandlerFunc(func(params stage_resource.DeleteProjectProjectNameStageStageNameResourceResourceURIParams, principal any) stage_resource.DeleteProjectProjectNameStageStageNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return stage_resource.DeleteProjectProjectNameStageStageNameResourceResourceURINotImplemented()
		})
	}
	if api.ServicesDeleteProjectProjectNameStageStageNameServiceServiceNameHandler == nil {
		api.ServicesDeleteProjectProjectNameStageStageNameServiceServiceNameHandler = services.DeleteProjectProjectNameStageStageNameServiceServiceNameHandlerFunc(func(params services.DeleteProjectProjectNameStageStageNameServiceServiceNameParams, principal any) services.DeleteProjectProjectNameStageStageNameServiceServiceNameResponder {
			_ = params
			_ = principal

			return services.DeleteProjectProjectNameStageStageNameServiceServiceNameNotImplemented()
		})
	}
	if api.ApprovalDeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDHandler == nil {
		api.ApprovalDeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDHandler = approval.DeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDHandlerFunc(func(params approval.DeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDParams, principal any) approval.DeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDResponder {
			_ = params
			_ = principal

			return approval.DeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDNotImplemented()
		})
	}
	if api.RemediationDeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextHandler == nil {
		api.RemediationDeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextHandler = remediation.DeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextHandlerFunc(func(params remediation.DeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextParams, principal any) remediation.DeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextResponder {
			_ = params
			_ = principal

			return remediation.DeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextNotImplemented()
		})
	}
	if api.ServiceResourceDeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandler == nil {
		api.ServiceResourceDeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandler = service_resource.DeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandlerFunc(func(params service_resource.DeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIParams, principal any) service_resource.DeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return service_resource.DeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURINotImplemented()
		})
	}
	if api.ProjectGetProjectHandler == nil {
		api.ProjectGetProjectHandler = project.GetProjectHandlerFunc(func(params project.GetProjectParams, principal any) project.GetProjectResponder {
			_ = params
			_ = principal

			return project.GetProjectNotImplemented()
		})
	}
	if api.ProjectGetProjectProjectNameHandler == nil {
		api.ProjectGetProjectProjectNameHandler = project.GetProjectProjectNameHandlerFunc(func(params project.GetProjectProjectNameParams, principal any) project.GetProjectProjectNameResponder {
			_ = params
			_ = principal

			return project.GetProjectProjectNameNotImplemented()
		})
	}
	if api.ProjectResourceGetProjectProjectNameResourceHandler == nil {
		api.ProjectResourceGetProjectProjectNameResourceHandler = project_resource.GetProjectProjectNameResourceHandlerFunc(func(params project_resource.GetProjectProjectNameResourceParams, principal any) project_resource.GetProjectProjectNameResourceResponder {
			_ = params
			_ = principal

			return project_resource.GetProjectProjectNameResourceNotImplemented()
		})
	}
	if api.ProjectResourceGetProjectProjectNameResourceResourceURIHandler == nil {
		api.ProjectResourceGetProjectProjectNameResourceResourceURIHandler = project_resource.GetProjectProjectNameResourceResourceURIHandlerFunc(func(params project_resource.GetProjectProjectNameResourceResourceURIParams, principal any) project_resource.GetProjectProjectNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return project_resource.GetProjectProjectNameResourceResourceURINotImplemented()
		})
	}
	if api.ServicesGetProjectProjectNameServiceHandler == nil {
		api.ServicesGetProjectProjectNameServiceHandler = services.GetProjectProjectNameServiceHandlerFunc(func(params services.GetProjectProjectNameServiceParams, principal any) services.GetProjectProjectNameServiceResponder {
			_ = params
			_ = principal

			return services.GetProjectProjectNameServiceNotImplemented()
		})
	}
	if api.ServicesGetProjectProjectNameServiceServiceNameHandler == nil {
		api.ServicesGetProjectProjectNameServiceServiceNameHandler = services.GetProjectProjectNameServiceServiceNameHandlerFunc(func(params services.GetProjectProjectNameServiceServiceNameParams, principal any) services.GetProjectProjectNameServiceServiceNameResponder {
			_ = params
			_ = principal

			return services.GetProjectProjectNameServiceServiceNameNotImplemented()
		})
	}
	if api.ServiceDefaultResourceGetProjectProjectNameServiceServiceNameResourceHandler == nil {
		api.ServiceDefaultResourceGetProjectProjectNameServiceServiceNameResourceHandler = service_default_resource.GetProjectProjectNameServiceServiceNameResourceHandlerFunc(func(params service_default_resource.GetProjectProjectNameServiceServiceNameResourceParams, principal any) service_default_resource.GetProjectProjectNameServiceServiceNameResourceResponder {
			_ = params
			_ = principal

			return service_default_resource.GetProjectProjectNameServiceServiceNameResourceNotImplemented()
		})
	}
	if api.ServiceDefaultResourceGetProjectProjectNameServiceServiceNameResourceResourceURIHandler == nil {
		api.ServiceDefaultResourceGetProjectProjectNameServiceServiceNameResourceResourceURIHandler = service_default_resource.GetProjectProjectNameServiceServiceNameResourceResourceURIHandlerFunc(func(params service_default_resource.GetProjectProjectNameServiceServiceNameResourceResourceURIParams, principal any) service_default_resource.GetProjectProjectNameServiceServiceNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return service_default_resource.GetProjectProjectNameServiceServiceNameResourceResourceURINotImplemented()
		})
	}
	if api.StageGetProjectProjectNameStageHandler == nil {
		api.StageGetProjectProjectNameStageHandler = stage.GetProjectProjectNameStageHandlerFunc(func(params stage.GetProjectProjectNameStageParams, principal any) stage.GetProjectProjectNameStageResponder {
			_ = params
			_ = principal

			return stage.GetProjectProjectNameStageNotImplemented()
		})
	}
	if api.StageGetProjectProjectNameStageStageNameHandler == nil {
		api.StageGetProjectProjectNameStageStageNameHandler = stage.GetProjectProjectNameStageStageNameHandlerFunc(func(params stage.GetProjectProjectNameStageStageNameParams, principal any) stage.GetProjectProjectNameStageStageNameResponder {
			_ = params
			_ = principal

			return stage.GetProjectProjectNameStageStageNameNotImplemented()
		})
	}
	if api.StageResourceGetProjectProjectNameStageStageNameResourceHandler == nil {
		api.StageResourceGetProjectProjectNameStageStageNameResourceHandler = stage_resource.GetProjectProjectNameStageStageNameResourceHandlerFunc(func(params stage_resource.GetProjectProjectNameStageStageNameResourceParams, principal any) stage_resource.GetProjectProjectNameStageStageNameResourceResponder {
			_ = params
			_ = principal

			return stage_resource.GetProjectProjectNameStageStageNameResourceNotImplemented()
		})
	}
	if api.StageResourceGetProjectProjectNameStageStageNameResourceResourceURIHandler == nil {
		api.StageResourceGetProjectProjectNameStageStageNameResourceResourceURIHandler = stage_resource.GetProjectProjectNameStageStageNameResourceResourceURIHandlerFunc(func(params stage_resource.GetProjectProjectNameStageStageNameResourceResourceURIParams, principal any) stage_resource.GetProjectProjectNameStageStageNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return stage_resource.GetProjectProjectNameStageStageNameResourceResourceURINotImplemented()
		})
	}
	if api.ServicesGetProjectProjectNameStageStageNameServiceHandler == nil {
		api.ServicesGetProjectProjectNameStageStageNameServiceHandler = services.GetProjectProjectNameStageStageNameServiceHandlerFunc(func(params services.GetProjectProjectNameStageStageNameServiceParams, principal any) services.GetProjectProjectNameStageStageNameServiceResponder {
			_ = params
			_ = principal

			return services.GetProjectProjectNameStageStageNameServiceNotImplemented()
		})
	}
	if api.ServicesGetProjectProjectNameStageStageNameServiceServiceNameHandler == nil {
		api.ServicesGetProjectProjectNameStageStageNameServiceServiceNameHandler = services.GetProjectProjectNameStageStageNameServiceServiceNameHandlerFunc(func(params services.GetProjectProjectNameStageStageNameServiceServiceNameParams, principal any) services.GetProjectProjectNameStageStageNameServiceServiceNameResponder {
			_ = params
			_ = principal

			return services.GetProjectProjectNameStageStageNameServiceServiceNameNotImplemented()
		})
	}
	if api.ApprovalGetProjectProjectNameStageStageNameServiceServiceNameApprovalHandler == nil {
		api.ApprovalGetProjectProjectNameStageStageNameServiceServiceNameApprovalHandler = approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalHandlerFunc(func(params approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalParams, principal any) approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalResponder {
			_ = params
			_ = principal

			return approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalNotImplemented()
		})
	}
	if api.ApprovalGetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDHandler == nil {
		api.ApprovalGetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDHandler = approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDHandlerFunc(func(params approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDParams, principal any) approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDResponder {
			_ = params
			_ = principal

			return approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDNotImplemented()
		})
	}
	if api.RemediationGetProjectProjectNameStageStageNameServiceServiceNameRemediationHandler == nil {
		api.RemediationGetProjectProjectNameStageStageNameServiceServiceNameRemediationHandler = remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationHandlerFunc(func(params remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationParams, principal any) remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationResponder {
			_ = params
			_ = principal

			return remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationNotImplemented()
		})
	}
	if api.RemediationGetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextHandler == nil {
		api.RemediationGetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextHandler = remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextHandlerFunc(func(params remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextParams, principal any) remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextResponder {
			_ = params
			_ = principal

			return remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextNotImplemented()
		})
	}
	if api.ServiceResourceGetProjectProjectNameStageStageNameServiceServiceNameResourceHandler == nil {
		api.ServiceResourceGetProjectProjectNameStageStageNameServiceServiceNameResourceHandler = service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceHandlerFunc(func(params service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceParams, principal any) service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceResponder {
			_ = params
			_ = principal

			return service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceNotImplemented()
		})
	}
	if api.ServiceResourceGetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandler == nil {
		api.ServiceResourceGetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandler = service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandlerFunc(func(params service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIParams, principal any) service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURINotImplemented()
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
	if api.ProjectResourcePostProjectProjectNameResourceHandler == nil {
		api.ProjectResourcePostProjectProjectNameResourceHandler = project_resource.PostProjectProjectNameResourceHandlerFunc(func(params project_resource.PostProjectProjectNameResourceParams, principal any) project_resource.PostProjectProjectNameResourceResponder {
			_ = params
			_ = principal

			return project_resource.PostProjectProjectNameResourceNotImplemented()
		})
	}
	if api.ServiceDefaultResourcePostProjectProjectNameServiceServiceNameResourceHandler == nil {
		api.ServiceDefaultResourcePostProjectProjectNameServiceServiceNameResourceHandler = service_default_resource.PostProjectProjectNameServiceServiceNameResourceHandlerFunc(func(params service_default_resource.PostProjectProjectNameServiceServiceNameResourceParams, principal any) service_default_resource.PostProjectProjectNameServiceServiceNameResourceResponder {
			_ = params
			_ = principal

			return service_default_resource.PostProjectProjectNameServiceServiceNameResourceNotImplemented()
		})
	}
	if api.StagePostProjectProjectNameStageHandler == nil {
		api.StagePostProjectProjectNameStageHandler = stage.PostProjectProjectNameStageHandlerFunc(func(params stage.PostProjectProjectNameStageParams, principal any) stage.PostProjectProjectNameStageResponder {
			_ = params
			_ = principal

			return stage.PostProjectProjectNameStageNotImplemented()
		})
	}
	if api.StageResourcePostProjectProjectNameStageStageNameResourceHandler == nil {
		api.StageResourcePostProjectProjectNameStageStageNameResourceHandler = stage_resource.PostProjectProjectNameStageStageNameResourceHandlerFunc(func(params stage_resource.PostProjectProjectNameStageStageNameResourceParams, principal any) stage_resource.PostProjectProjectNameStageStageNameResourceResponder {
			_ = params
			_ = principal

			return stage_resource.PostProjectProjectNameStageStageNameResourceNotImplemented()
		})
	}
	if api.ServicesPostProjectProjectNameStageStageNameServiceHandler == nil {
		api.ServicesPostProjectProjectNameStageStageNameServiceHandler = services.PostProjectProjectNameStageStageNameServiceHandlerFunc(func(params services.PostProjectProjectNameStageStageNameServiceParams, principal any) services.PostProjectProjectNameStageStageNameServiceResponder {
			_ = params
			_ = principal

			return services.PostProjectProjectNameStageStageNameServiceNotImplemented()
		})
	}
	if api.ApprovalPostProjectProjectNameStageStageNameServiceServiceNameApprovalHandler == nil {
		api.ApprovalPostProjectProjectNameStageStageNameServiceServiceNameApprovalHandler = approval.PostProjectProjectNameStageStageNameServiceServiceNameApprovalHandlerFunc(func(params approval.PostProjectProjectNameStageStageNameServiceServiceNameApprovalParams, principal any) approval.PostProjectProjectNameStageStageNameServiceServiceNameApprovalResponder {
			_ = params
			_ = principal

			return approval.PostProjectProjectNameStageStageNameServiceServiceNameApprovalNotImplemented()
		})
	}
	if api.RemediationPostProjectProjectNameStageStageNameServiceServiceNameRemediationHandler == nil {
		api.RemediationPostProjectProjectNameStageStageNameServiceServiceNameRemediationHandler = remediation.PostProjectProjectNameStageStageNameServiceServiceNameRemediationHandlerFunc(func(params remediation.PostProjectProjectNameStageStageNameServiceServiceNameRemediationParams, principal any) remediation.PostProjectProjectNameStageStageNameServiceServiceNameRemediationResponder {
			_ = params
			_ = principal

			return remediation.PostProjectProjectNameStageStageNameServiceServiceNameRemediationNotImplemented()
		})
	}
	if api.ServiceResourcePostProjectProjectNameStageStageNameServiceServiceNameResourceHandler == nil {
		api.ServiceResourcePostProjectProjectNameStageStageNameServiceServiceNameResourceHandler = service_resource.PostProjectProjectNameStageStageNameServiceServiceNameResourceHandlerFunc(func(params service_resource.PostProjectProjectNameStageStageNameServiceServiceNameResourceParams, principal any) service_resource.PostProjectProjectNameStageStageNameServiceServiceNameResourceResponder {
			_ = params
			_ = principal

			return service_resource.PostProjectProjectNameStageStageNameServiceServiceNameResourceNotImplemented()
		})
	}
	if api.ProjectPutProjectProjectNameHandler == nil {
		api.ProjectPutProjectProjectNameHandler = project.PutProjectProjectNameHandlerFunc(func(params project.PutProjectProjectNameParams, principal any) project.PutProjectProjectNameResponder {
			_ = params
			_ = principal

			return project.PutProjectProjectNameNotImplemented()
		})
	}
	if api.ProjectResourcePutProjectProjectNameResourceHandler == nil {
		api.ProjectResourcePutProjectProjectNameResourceHandler = project_resource.PutProjectProjectNameResourceHandlerFunc(func(params project_resource.PutProjectProjectNameResourceParams, principal any) project_resource.PutProjectProjectNameResourceResponder {
			_ = params
			_ = principal

			return project_resource.PutProjectProjectNameResourceNotImplemented()
		})
	}
	if api.ProjectResourcePutProjectProjectNameResourceResourceURIHandler == nil {
		api.ProjectResourcePutProjectProjectNameResourceResourceURIHandler = project_resource.PutProjectProjectNameResourceResourceURIHandlerFunc(func(params project_resource.PutProjectProjectNameResourceResourceURIParams, principal any) project_resource.PutProjectProjectNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return project_resource.PutProjectProjectNameResourceResourceURINotImplemented()
		})
	}
	if api.ServiceDefaultResourcePutProjectProjectNameServiceServiceNameResourceHandler == nil {
		api.ServiceDefaultResourcePutProjectProjectNameServiceServiceNameResourceHandler = service_default_resource.PutProjectProjectNameServiceServiceNameResourceHandlerFunc(func(params service_default_resource.PutProjectProjectNameServiceServiceNameResourceParams, principal any) service_default_resource.PutProjectProjectNameServiceServiceNameResourceResponder {
			_ = params
			_ = principal

			return service_default_resource.PutProjectProjectNameServiceServiceNameResourceNotImplemented()
		})
	}
	if api.ServiceDefaultResourcePutProjectProjectNameServiceServiceNameResourceResourceURIHandler == nil {
		api.ServiceDefaultResourcePutProjectProjectNameServiceServiceNameResourceResourceURIHandler = service_default_resource.PutProjectProjectNameServiceServiceNameResourceResourceURIHandlerFunc(func(params service_default_resource.PutProjectProjectNameServiceServiceNameResourceResourceURIParams, principal any) service_default_resource.PutProjectProjectNameServiceServiceNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return service_default_resource.PutProjectProjectNameServiceServiceNameResourceResourceURINotImplemented()
		})
	}
	if api.StagePutProjectProjectNameStageStageNameHandler == nil {
		api.StagePutProjectProjectNameStageStageNameHandler = stage.PutProjectProjectNameStageStageNameHandlerFunc(func(params stage.PutProjectProjectNameStageStageNameParams, principal any) stage.PutProjectProjectNameStageStageNameResponder {
			_ = params
			_ = principal

			return stage.PutProjectProjectNameStageStageNameNotImplemented()
		})
	}
	if api.StageResourcePutProjectProjectNameStageStageNameResourceHandler == nil {
		api.StageResourcePutProjectProjectNameStageStageNameResourceHandler = stage_resource.PutProjectProjectNameStageStageNameResourceHandlerFunc(func(params stage_resource.PutProjectProjectNameStageStageNameResourceParams, principal any) stage_resource.PutProjectProjectNameStageStageNameResourceResponder {
			_ = params
			_ = principal

			return stage_resource.PutProjectProjectNameStageStageNameResourceNotImplemented()
		})
	}
	if api.StageResourcePutProjectProjectNameStageStageNameResourceResourceURIHandler == nil {
		api.StageResourcePutProjectProjectNameStageStageNameResourceResourceURIHandler = stage_resource.PutProjectProjectNameStageStageNameResourceResourceURIHandlerFunc(func(params stage_resource.PutProjectProjectNameStageStageNameResourceResourceURIParams, principal any) stage_resource.PutProjectProjectNameStageStageNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return stage_resource.PutProjectProjectNameStageStageNameResourceResourceURINotImplemented()
		})
	}
	if api.ServicesPutProjectProjectNameStageStageNameServiceServiceNameHandler == nil {
		api.ServicesPutProjectProjectNameStageStageNameServiceServiceNameHandler = services.PutProjectProjectNameStageStageNameServiceServiceNameHandlerFunc(func(params services.PutProjectProjectNameStageStageNameServiceServiceNameParams, principal any) services.PutProjectProjectNameStageStageNameServiceServiceNameResponder {
			_ = params
			_ = principal

			return services.PutProjectProjectNameStageStageNameServiceServiceNameNotImplemented()
		})
	}
	if api.ServiceResourcePutProjectProjectNameStageStageNameServiceServiceNameResourceHandler == nil {
		api.ServiceResourcePutProjectProjectNameStageStageNameServiceServiceNameResourceHandler = service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceHandlerFunc(func(params service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceParams, principal any) service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceResponder {
			_ = params
			_ = principal

			return service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceNotImplemented()
		})
	}
	if api.ServiceResourcePutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandler == nil {
		api.ServiceResourcePutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandler = service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandlerFunc(func(params service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIParams, principal any) service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIResponder {
			_ = params
			_ = principal

			return service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURINotImplemented()
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
