/**
 * The JSON the server extension answers under `ilum/api/` (see docs/api.md).
 */

export type RepoState =
  'clean' | 'dirty' | 'ahead' | 'behind' | 'diverged' | 'conflicted' | 'no-repo' | 'error';

export type ChangeKind = 'staged' | 'modified' | 'untracked' | 'conflicted';

/** Why the repository cannot be read (`error_code` when `state` is `error`). */
export type RepoProblemCode =
  | 'index-corrupt'
  | 'index-missing'
  | 'dubious-ownership'
  | 'not-a-repo'
  | 'timeout'
  | 'unexpected-output'
  | 'git';

export type RepoOperation = 'merge' | 'rebase' | 'am' | 'cherry-pick' | 'revert' | 'bisect';

/** Why the Livy-proxy gave no session list (`error_code` when `reachable` is false). */
export type SparkProblemCode = 'unreachable' | 'error-answer' | 'bad-answer' | 'waiting';

export interface ICommitInfo {
  sha: string;
  summary: string;
  author: string;
  time: string;
}

export interface IRepo {
  state: RepoState;
  branch: string | null;
  detached: boolean;
  unborn: boolean;
  operation: RepoOperation | null;
  head: string | null;
  upstream: string | null;
  upstream_gone: boolean;
  ahead: number;
  behind: number;
  staged: number;
  modified: number;
  untracked: number;
  conflicted: number;
  changes: { path: string; kind: ChangeKind }[];
  changes_truncated: boolean;
  last_commit: ICommitInfo | null;
  last_fetch: string | null;
  remote: string | null;
  web_url: string | null;
  path: string;
  error: string | null;
  error_code: RepoProblemCode | null;
  /** Set by `GET status` when this part is its previous answer (the new one is late). */
  stale?: boolean;
}

export interface ISparkSession {
  id: number;
  name: string | null;
  state: string;
  kind: string | null;
  app_id: string | null;
  owner: string | null;
  proxy_user: string | null;
  spark_ui_url: string | null;
  driver_log_url: string | null;
  mine: boolean;
  finished: boolean;
}

export interface ISpark {
  endpoint: string;
  reachable: boolean;
  error: string | null;
  error_code: SparkProblemCode | null;
  latency_ms: number | null;
  /** Livy's count of all sessions. */
  total: number;
  /** How many sessions belong to other users (their list is asked for separately). */
  others: number;
  user: string;
  /** The user's sessions; other users' ones in an `others=1` answer. */
  sessions: ISparkSession[];
  /** The first other session's index, in an `others=1` answer. */
  from?: number;
  /** Set by `GET status` when this part is its previous answer (the new one is late). */
  stale?: boolean;
}

export interface IInitError {
  code: string;
  message: string;
  /** Speaks to the user. */
  hint: string;
  /** Speaks to the administrator (older init runs did not write it). */
  admin_hint?: string;
}

export interface IInit {
  present: boolean;
  path: string;
  version?: number;
  outcome?: 'running' | 'ok' | 'failed';
  started_at?: string;
  finished_at?: string | null;
  case?: string | null;
  pushed_commit?: string | null;
  head?: string | null;
  branch?: string | null;
  repo_url?: string;
  workspace?: string;
  user?: string;
  error?: IInitError | null;
  autosave_restore?: IAutosaveRestore | null;
  steps?: string[];
}

export interface IAutosaveSkipped {
  path: string;
  reason: 'too-big' | 'nested-repository' | string;
  size: number | null;
}

/** `GET ilum/api/autosave`: the snapshot of unsaved work kept on Gitea (docs/autosave.md). */
export interface IAutosave {
  enabled: boolean;
  last: {
    at: string;
    commit: string;
    branch: string | null;
    files: number;
    paths: string[];
    commits: number;
    skipped: IAutosaveSkipped[];
  } | null;
  error: { code: string; message: string; at: string; failures: number } | null;
  next_at: string | null;
  ref: string | null;
  running: boolean;
  interval: number;
}

/** What `ilum-init` brought back from an autosave on a fresh volume. */
export interface IAutosaveRestore {
  snapshot: string;
  taken_at: string;
  branch: string;
  commits: number;
  files: string[];
  beside: string[];
  kept_branch: string | null;
}

export interface IStatus {
  repo: IRepo;
  spark: ISpark;
  init: IInit;
  autosave?: IAutosave;
  user: string;
  version: string;
}

export interface IDeleteSessionReply {
  id: number;
  deleted: boolean;
}
