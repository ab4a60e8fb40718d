// The interactive reference over /openapi.json. "Try it out" sends real requests with the
// credential given under "Authorize"; schemas are listed at the end of the page.
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 1,
  defaultModelExpandDepth: 2,
  displayRequestDuration: true,
  filter: true,
  // Never send the spec to swagger.io's online validator: the page must work offline.
  validatorUrl: null,
});
