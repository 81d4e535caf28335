// Lives in support/netns.ts (shared with bench/, which never imports test/).
export * from '../../support/netns.ts';
