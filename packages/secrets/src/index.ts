// Not built yet: see the issue that owns @matrix-reset/secrets. The package exists so that the workspace's layering
// (tags and module-boundary rules) is in force from the start.
export {};
