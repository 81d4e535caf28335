// Moved to support/redis-server.ts (shared with bench/ and scripts/, which never import test/).
export * from '../../support/redis-server.ts';
