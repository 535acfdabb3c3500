/**
 * Pure presentation logic: everything the views and the status bar show that can be
 * decided without a DOM. Kept free of JupyterLab imports so Jest runs it directly.
 */
import type {
  IInit,
  IRepo,
  ISpark,
  ISparkSession,
  IStatus,
  RepoOperation,
  RepoProblemCode
} from './types';

/** The colour families of the session state badge. */
export type SessionCategory =
  'starting' | 'idle' | 'busy' | 'stopping' | 'failed' | 'done' | 'unknown';

const SESSION_CATEGORIES: Record<string, SessionCategory> = {
  not_started: 'starting',
  starting: 'starting',
  recovering: 'starting',
  idle: 'idle',
  busy: 'busy',
  running: 'busy',
  shutting_down: 'stopping',
  error: 'failed',
  dead: 'failed',
  killed: 'failed',
  success: 'done'
};

export function sessionCategory(state: string): SessionCategory {
  return SESSION_CATEGORIES[state] ?? 'unknown';
}

export function stateBadgeClass(state: string): string {
  return `jp-IlumBadge jp-IlumBadge-${sessionCategory(state)}`;
}

/** Livy's `shutting_down` reads better as "shutting down". */
export function stateLabel(state: string): string {
  return state.replace(/_/g, ' ');
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * A short age such as "40 s", "5 min", "3 h" or "2 d"; null when the time is unknown or
 * unreadable. Times in the future (clock skew) count as "just now".
 */
export function formatAge(iso: string | null | undefined, now: Date): string | null {
  if (!iso) {
    return null;
  }
  const then = Date.parse(iso);
  if (Number.isNaN(then)) {
    return null;
  }
  const seconds = Math.floor((now.getTime() - then) / 1000);
  if (seconds < 10) {
    return 'just now';
  }
  if (seconds < 60) {
    return `${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours} h`;
  }
  return `${Math.floor(hours / 24)} d`;
}

/** "5 min ago", "just now", or null. */
export function formatAgo(iso: string | null | undefined, now: Date): string | null {
  const age = formatAge(iso, now);
  if (age === null) {
    return null;
  }
  return age === 'just now' ? age : `${age} ago`;
}

export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 7) : '';
}

export function sessionTitle(session: ISparkSession): string {
  return session.name ? session.name : `Session ${session.id}`;
}

/** Livy's session kinds as people say them; the API keeps Livy's names. */
const SESSION_KIND_LABELS: Record<string, string> = {
  pyspark: 'PySpark',
  spark: 'Spark (Scala)',
  sparkr: 'SparkR',
  sql: 'Spark SQL'
};

/** A kind Livy may add later shows as Livy names it. */
export function sessionKindLabel(kind: string | null): string {
  if (!kind) {
    return 'unknown kind';
  }
  return SESSION_KIND_LABELS[kind] ?? kind;
}

/** The toast after a session was ended: it names the session as the panel does. */
export function sessionEndedMessage(name: string): string {
  return `${name} ended`;
}

export interface ICount {
  key: 'staged' | 'modified' | 'untracked' | 'conflicted' | 'ahead' | 'behind';
  label: string;
  value: number;
}

export function repoCounts(repo: IRepo): ICount[] {
  return [
    { key: 'modified', label: 'Changed', value: repo.modified },
    { key: 'staged', label: 'Staged', value: repo.staged },
    { key: 'untracked', label: 'Untracked', value: repo.untracked },
    { key: 'conflicted', label: 'Conflicted', value: repo.conflicted },
    { key: 'ahead', label: 'Ahead', value: repo.ahead },
    { key: 'behind', label: 'Behind', value: repo.behind }
  ];
}

export const BACKUP_NOTE = 'Only pushed work is backed up on Gitea.';

/**
 * The plain warning under the repository: null when everything is committed and pushed.
 */
export function repoWarning(repo: IRepo): string | null {
  if (repo.state === 'no-repo' || repo.state === 'error') {
    return null;
  }
  const problems: string[] = [];
  if (repo.conflicted > 0) {
    problems.push(`${plural(repo.conflicted, 'file')} with merge conflicts`);
  }
  const uncommitted = repo.staged + repo.modified + repo.untracked;
  if (uncommitted > 0) {
    problems.push(`${plural(uncommitted, 'change')} not committed`);
  }
  if (repo.ahead > 0 && repo.behind > 0) {
    problems.push(
      `both Gitea (${plural(repo.behind, 'new commit')}) and this workspace ` +
        `(${plural(repo.ahead, 'new commit')}) have moved on: pull (merge or rebase) ` +
        'before you push, for example with the Git panel'
    );
  } else if (repo.ahead > 0) {
    problems.push(`${plural(repo.ahead, 'commit')} not pushed`);
  } else if (!repo.upstream && repo.head && !repo.unborn) {
    problems.push('this branch is not pushed anywhere');
  }
  if (problems.length === 0) {
    return null;
  }
  const text = problems.join(', ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}. ${BACKUP_NOTE}`;
}

export function branchLabel(repo: IRepo): string {
  if (repo.branch) {
    return repo.branch;
  }
  if (repo.detached) {
    return repo.head ? `detached at ${shortSha(repo.head)}` : 'detached HEAD';
  }
  return 'unknown';
}

/** What the panel says when the Livy-proxy gave no session list, by `error_code`. */
export function sparkProblem(spark: ISpark): string | null {
  if (spark.reachable) {
    return null;
  }
  const reason = spark.error ?? 'no reason given';
  switch (spark.error_code) {
    case 'error-answer':
      return `The Livy-proxy at ${spark.endpoint} answered with an error: ${reason}`;
    case 'bad-answer':
      return `The Livy-proxy at ${spark.endpoint} answered something that is not a session list: ${reason}`;
    case 'waiting':
      return `Waiting for the first answer of the Livy-proxy at ${spark.endpoint}…`;
    default:
      return `The Livy-proxy at ${spark.endpoint} is unreachable: ${reason}`;
  }
}

function sparkSummary(spark: ISpark): string {
  if (!spark.reachable) {
    if (spark.error_code === 'waiting') {
      return 'Spark: loading…';
    }
    return spark.error_code === 'unreachable' ? 'Spark: unreachable' : 'Spark: error';
  }
  const active = spark.sessions.filter(s => s.mine && !s.finished);
  if (active.length === 0) {
    return 'Spark: no sessions';
  }
  const order: SessionCategory[] = [
    'busy',
    'idle',
    'starting',
    'stopping',
    'failed',
    'done',
    'unknown'
  ];
  const counts = new Map<SessionCategory, number>();
  for (const session of active) {
    const category = sessionCategory(session.state);
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  const parts = order
    .filter(category => counts.has(category))
    .map(category => `${counts.get(category)} ${category}`);
  return `Spark: ${parts.join(', ')}`;
}

function gitSummary(repo: IRepo): string {
  if (repo.state === 'no-repo') {
    return 'Git: no repository';
  }
  if (repo.state === 'error') {
    return 'Git: error';
  }
  const parts: string[] = [];
  if (repo.conflicted > 0) {
    parts.push(`${repo.conflicted} conflicted`);
  }
  const uncommitted = repo.staged + repo.modified + repo.untracked;
  if (uncommitted > 0) {
    parts.push(`${uncommitted} uncommitted`);
  }
  if (repo.ahead > 0) {
    parts.push(`${repo.ahead} unpushed`);
  }
  if (repo.behind > 0) {
    parts.push(`${repo.behind} behind`);
  }
  return parts.length ? `Git: ${parts.join(', ')}` : 'Git: up to date';
}

/** The status bar's one line, e.g. "Spark: 1 busy · Git: 3 unpushed". */
export function summaryLine(status: IStatus | null, error: string | null): string {
  if (!status) {
    return error ? 'Ilum: status unavailable' : 'Ilum: loading…';
  }
  const line = `${sparkSummary(status.spark)} · ${gitSummary(status.repo)}`;
  return error ? `${line} (stale)` : line;
}

export interface IInitNotice {
  title: string;
  code: string;
  message: string;
  hint: string;
  /** For whoever runs the platform; the panel marks it as theirs. Empty when there is none. */
  adminHint: string;
  finishedAt: string | null;
}

/** What the panel says about the last init run: only a failure is worth a notice. */
export function initNotice(init: IInit): IInitNotice | null {
  if (!init.present || init.outcome !== 'failed') {
    return null;
  }
  const error = init.error;
  return {
    title: 'Workspace set-up failed when this server started',
    code: error?.code ?? 'error',
    message: error?.message || 'The last ilum-init run failed without a message.',
    hint:
      error?.hint ||
      'Restart the server from the Hub control panel; if it fails again, ask your administrator.',
    adminHint: error?.admin_hint ?? '',
    finishedAt: init.finished_at ?? null
  };
}

/** A repository problem in plain words: what it is, whether the files are safe, what to do. */
export interface IRepoProblem {
  title: string;
  safety: string;
  next: string;
  /** git's own text, shown behind a "Details" toggle. */
  details: string | null;
}

const FILES_SAFE = 'Your files are safe: only git’s bookkeeping is affected.';
const RESTAGE = `${FILES_SAFE} What you had staged must be staged again.`;
const ASK_HUB =
  'Restart the server from the Hub control panel; if it stays like this, ask your administrator.';
const REBUILDS = '(rebuilds the index from the last commit and leaves your files as they are)';

type ProblemText = Omit<IRepoProblem, 'details'>;

/** What each `error_code` means, is, and asks for; `path` is the repository's folder. */
const REPO_PROBLEMS: Record<RepoProblemCode | 'no-repo', (path: string) => ProblemText> = {
  'no-repo': path => ({
    title: `There is no git repository in ${path}.`,
    safety: 'Your files are there, but nothing in this folder is backed up on Gitea.',
    next: ASK_HUB
  }),
  'index-corrupt': () => ({
    title: 'Git’s index file (.git/index) is damaged.',
    safety: RESTAGE,
    next: `In a terminal: rm .git/index && git reset ${REBUILDS}.`
  }),
  'index-missing': () => ({
    title: 'Git’s index file (.git/index) is missing, so git cannot tell what changed.',
    safety: RESTAGE,
    next: `In a terminal: git reset ${REBUILDS}.`
  }),
  'dubious-ownership': path => ({
    title: 'Git refuses this repository because another user owns its folder.',
    safety: 'Your files are safe; git only refuses to work in the folder.',
    next: `Ask your administrator to fix the folder’s owner, or in a terminal: git config --global --add safe.directory ${path}`
  }),
  'not-a-repo': path => ({
    title: `${path}/.git is there, but git cannot use it as a repository.`,
    safety: 'Your files are safe, but they are not backed up on Gitea while this lasts.',
    next: ASK_HUB
  }),
  timeout: () => ({
    title: 'Git took too long to read the repository.',
    safety: 'Your files are safe; the panel tries again at the next refresh.',
    next: 'If it keeps happening, large files or folders may need to go into .gitignore.'
  }),
  'unexpected-output': () => REPO_PROBLEMS.git(''),
  git: () => ({
    title: 'Git could not read the repository.',
    safety: 'Your files are not changed by this.',
    next: 'Open a terminal and run git status to see what git says; ask your administrator if it is unclear.'
  })
};

/** The repository's problem, or null when it can be read (see `error_code` in docs/api.md). */
export function repoProblem(repo: IRepo): IRepoProblem | null {
  if (repo.state === 'no-repo') {
    return { ...REPO_PROBLEMS['no-repo'](repo.path), details: null };
  }
  if (repo.state !== 'error') {
    return null;
  }
  const text = REPO_PROBLEMS[repo.error_code ?? 'git'] ?? REPO_PROBLEMS.git;
  return { ...text(repo.path), details: repo.error };
}

/** Plain notes about the branch: a detached HEAD, an upstream that is gone. */
export function branchNotes(repo: IRepo): string[] {
  const notes: string[] = [];
  if (repo.detached && !repo.operation) {
    notes.push(
      'You are not on a branch (detached HEAD): new commits here belong to no branch and are easy to lose. ' +
        'Create a branch for them (git switch -c <name>) or go back to yours (git switch main).'
    );
  }
  if (repo.upstream_gone) {
    notes.push(
      `${repo.upstream ?? 'The upstream branch'} no longer exists on Gitea. Your commits are safe here; ` +
        `push the branch again (git push -u origin ${repo.branch ?? 'HEAD'}) or switch to another one.`
    );
  }
  return notes;
}

/** How to finish or abort an operation that waits for the user. */
export interface IOperationHelp {
  title: string;
  finish: string;
  abort: string;
}

const OPERATIONS: Record<RepoOperation, IOperationHelp> = {
  merge: {
    title: 'A merge is in progress.',
    finish: 'resolve the conflicts, git add the files, then git commit',
    abort: 'git merge --abort'
  },
  rebase: {
    title: 'A rebase is in progress.',
    finish: 'resolve the conflicts, git add the files, then git rebase --continue',
    abort: 'git rebase --abort'
  },
  am: {
    title: 'Applying patches (git am) is in progress.',
    finish: 'resolve the conflicts, git add the files, then git am --continue',
    abort: 'git am --abort'
  },
  'cherry-pick': {
    title: 'A cherry-pick is in progress.',
    finish: 'resolve the conflicts, git add the files, then git cherry-pick --continue',
    abort: 'git cherry-pick --abort'
  },
  revert: {
    title: 'A revert is in progress.',
    finish: 'resolve the conflicts, git add the files, then git revert --continue',
    abort: 'git revert --abort'
  },
  bisect: {
    title: 'A bisect is in progress.',
    finish: 'mark commits with git bisect good or git bisect bad until git names the culprit',
    abort: 'git bisect reset'
  }
};

export function operationHelp(operation: RepoOperation | null): IOperationHelp | null {
  return operation ? (OPERATIONS[operation] ?? null) : null;
}

/** The conflicted paths the server listed (all of them unless the list was cut). */
export function conflictedPaths(repo: IRepo): string[] {
  return repo.changes.filter(c => c.kind === 'conflicted').map(c => c.path);
}

/** A countdown that visibly counts down: "28 s", "4 min 05 s". */
export function formatCountdown(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 60) {
    return `${whole} s`;
  }
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/** Whole seconds left until `until`, or 0 once it passed. */
export function secondsLeft(until: Date | null, now: Date): number {
  if (!until) {
    return 0;
  }
  return Math.max(0, Math.ceil((until.getTime() - now.getTime()) / 1000));
}
