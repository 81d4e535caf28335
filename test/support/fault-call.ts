// Lives in support/fault-call.ts (shared with bench/, which never imports test/).
export * from '../../support/fault-call.ts';
