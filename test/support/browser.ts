// Moved to support/browser.ts (shared with bench/ and scripts/, which never import test/).
export * from '../../support/browser.ts';
