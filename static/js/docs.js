// /docs: Swagger UI (vendored in static/vendor/swagger-ui/) on the app's OpenAPI document.
// A file, not an inline script, so the Content-Security-Policy can forbid inline scripts.
const root = document.getElementById("swagger-ui");

window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  // No badge from the online validator: the page makes no request to another host.
  validatorUrl: null,
});
