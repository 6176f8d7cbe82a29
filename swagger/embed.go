// Package swagger embeds the hand-written Swagger 2.0 specs, one per API
// collection. They are the source of the generated code under restapi/,
// models/ and client/, and the server publishes them for the Swagger UI.
package swagger

import _ "embed"

// API is the spec of the api collection (public base /api/v1).
//
//go:embed api.yaml
var API []byte

// ConfigurationService is the spec of the configuration-service collection
// (public base /api/configuration-service/v1).
//
//go:embed configuration-service.yaml
var ConfigurationService []byte

// MongoDBDatastore is the spec of the mongodb-datastore collection (public
// base /api/mongodb-datastore).
//
//go:embed mongodb-datastore.yaml
var MongoDBDatastore []byte
