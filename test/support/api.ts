// Moved to support/api.ts (shared with bench/ and scripts/, which never import test/).
export * from '../../support/api.ts';
