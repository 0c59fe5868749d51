// Not built yet: see the issue that owns @matrix-reset/k8s-ops. The package exists so that the workspace's layering
// (tags and module-boundary rules) is in force from the start.
export {};
