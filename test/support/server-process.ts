// Lives in support/server-process.ts (shared with bench/, which never imports test/).
export * from '../../support/server-process.ts';
