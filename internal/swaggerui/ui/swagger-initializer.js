// The three specs share the security definition "key" (header x-token), and
// persistAuthorization keeps it in the browser's local storage, so one
// Authorize covers every collection in the selector. Spec URLs are relative
// to this page, so the UI works behind any host, scheme and path prefix.
window.onload = function () {
  window.ui = SwaggerUIBundle({
    urls: [
      { url: "./swagger.yaml", name: "api" },
      { url: "../configuration-service/swagger-ui/swagger.yaml", name: "configuration-service" },
      { url: "../mongodb-datastore/swagger-ui/swagger.yaml", name: "mongodb-datastore" }
    ],
    "urls.primaryName": "api",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
