package handlers

import (
	"errors"

	"github.com/keptn-api/keptn-api/internal/bridge"
	models "github.com/keptn-api/keptn-api/models/api"
	"github.com/keptn-api/keptn-api/restapi/api/operations/configuration"
)

// GetConfigBridge returns the bridge user. The password is stored only as a
// hash, so the response carries an empty password.
func (h *API) GetConfigBridge(params configuration.GetConfigBridgeParams, _ any) configuration.GetConfigBridgeResponder {
	user, err := h.bridge.User()
	if errors.Is(err, bridge.ErrNotConfigured) {
		err = notFound("bridge credentials are not configured; set them with POST /v1/config/bridge")
	}
	if err != nil {
		return failAPI(h.log, params.HTTPRequest, err, configuration.NewGetConfigBridgeDefault)
	}

	password := ""
	return configuration.NewGetConfigBridgeOK().WithPayload(&models.ConfigureBridge{User: &user, Password: &password})
}

// PostConfigBridge replaces the bridge credentials.
func (h *API) PostConfigBridge(params configuration.PostConfigBridgeParams, _ any) configuration.PostConfigBridgeResponder {
	body := params.ConfigureBridge

	if err := h.bridge.Set(*body.User, *body.Password); err != nil {
		return failAPI(h.log, params.HTTPRequest, errTexts{}.translate(err), configuration.NewPostConfigBridgeDefault)
	}
	return configuration.NewPostConfigBridgeOK().WithPayload("")
}
