/**
 * @p2pkit/pastry: see README.md. This entry is the package's whole public API.
 */
export {};
