// Moved to support/server.ts (shared with bench/ and scripts/, which never import test/).
export * from '../../support/server.ts';
