/**
 * The part of jupyterlab-git's API that the panel listens to. jupyterlab-git is optional: its
 * package is shared by the lab (never bundled here) and imported only when present.
 */
declare module '@jupyterlab/git' {
  import type { Token } from '@lumino/coreutils';
  import type { ISignal } from '@lumino/signaling';

  export interface IGitExtension {
    /** After jupyterlab-git read a different `git status` (stage, commit, discard…). */
    readonly statusChanged: ISignal<IGitExtension, unknown>;
    /** After a commit, checkout, pull or reset moved HEAD. */
    readonly headChanged: ISignal<IGitExtension, void>;
  }

  export const IGitExtension: Token<IGitExtension>;
}
