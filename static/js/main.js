// Wires the page's components together (placeholder until the components land).
const bootstrap = JSON.parse(document.getElementById("bootstrap").textContent);
document.querySelector("[data-app]").textContent = `Playground: ${Object.keys(bootstrap.options || {}).length} options`;
