/**
 * @p2pkit/gnutella: see README.md. This entry is the package's whole public API.
 */
export {};
