// Moved to support/ports.ts (shared with bench/ and scripts/, which never import test/).
export * from '../../support/ports.ts';
