// Not built yet: see the issue that owns @matrix-reset/reset-core. The package exists so that the workspace's layering
// (tags and module-boundary rules) is in force from the start.
export {};
