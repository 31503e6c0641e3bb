window.IVSPlayerModule = window.module.exports;
delete window.module;
