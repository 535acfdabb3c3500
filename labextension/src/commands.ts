/** Command ids of the extension, and the one of jupyterlab-git that it reuses. */
export namespace CommandIDs {
  export const openPanel = 'ilum:open-panel';
  export const fetch = 'ilum:fetch';
  export const endSession = 'ilum:end-session';
  export const openGitea = 'ilum:open-gitea';
  export const openGitPanel = 'ilum:open-git-panel';
  export const refresh = 'ilum:refresh';
  /** jupyterlab-git's "Git Interface" command: activates its sidebar panel. */
  export const gitInterface = 'git:ui';
}

/** The sidebar panel's widget id. */
export const PANEL_ID = 'ilum-singleuser-panel';
