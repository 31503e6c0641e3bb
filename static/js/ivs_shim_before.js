// The IVS player's npm build is CommonJS; give it a module object to export into.
window.module = { exports: {} };
