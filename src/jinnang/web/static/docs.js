// Swagger UI over our own OpenAPI document (a file, not inline, so a strict CSP can forbid inline scripts)
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });
