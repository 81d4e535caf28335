// What the call view is told about the network, one state for the whole call
// (issue 16 contract: model/video-adaptation.ts produces it, ui/call-view.ts
// shows it). Quality per remote participant is what this page receives from
// them; `videoPaused` says whose link paused which video, so both sides can
// read "Video paused to keep your sound clear" (or the other person's).
import type { Quality } from './layer-policy.ts';

export type { Quality } from './layer-policy.ts';

/** Why a remote participant's video is not shown: none, their link (they paused sending), or ours (we paused receiving). */
export type VideoPauseCause = 'none' | 'their-link' | 'your-link';

export interface RemoteNetwork {
  quality: Quality;
  videoPaused: VideoPauseCause;
  /** They cannot receive video just now (their link): they hear you but may not see you. */
  cannotSeeYou: boolean;
}

export interface CallNetwork {
  /** This page's own link, from its send and receive paths together. */
  self: {
    quality: Quality;
    /** Our camera is paused because our link cannot send it. */
    sendingPaused: boolean;
    /** Others' video to us is paused because our link cannot receive it. */
    receivingPaused: boolean;
  };
  /** By participant id. */
  remotes: ReadonlyMap<string, RemoteNetwork>;
}
