/**
 * @p2pkit/napster: see README.md. This entry is the package's whole public API.
 */
export {};
