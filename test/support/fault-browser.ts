// Lives in support/fault-browser.ts (shared with bench/, which never imports test/).
export * from '../../support/fault-browser.ts';
