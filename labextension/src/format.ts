/**
 * Pure presentation logic: everything the views and the status bar show that can be
 * decided without a DOM. Kept free of JupyterLab imports so Jest runs it directly.
 */
import type { IInit, IRepo, ISpark, ISparkSession, IStatus } from './types';

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

/** The sessions the panel lists: the user's own, plus everybody's when asked for. */
export function visibleSessions(spark: ISpark, showOthers: boolean): ISparkSession[] {
  return spark.sessions.filter(s => s.mine || showOthers);
}

export function otherUsersSessionCount(spark: ISpark): number {
  return spark.sessions.filter(s => !s.mine).length;
}

export function changedCount(repo: IRepo): number {
  return repo.staged + repo.modified + repo.untracked + repo.conflicted;
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
  if (repo.ahead > 0) {
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

function sparkSummary(spark: ISpark): string {
  if (!spark.reachable) {
    return 'Spark: unreachable';
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

/** Seconds as the panel words a retry delay. */
export function formatDelay(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}
