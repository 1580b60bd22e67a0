// Starts Swagger UI on /docs (api/templates/swagger_ui.html). A file, not an inline
// script, so the page's Content-Security-Policy can allow same-origin scripts only.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  var config = { url: container.dataset.specUrl, dom_id: "#swagger-ui-container" };
  var overrides = JSON.parse(container.dataset.config || "{}");
  for (var name in overrides) {
    config[name] = overrides[name];
  }
  window.ui = SwaggerUIBundle(config);
});
