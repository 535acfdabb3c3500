import {
  BACKUP_NOTE,
  branchLabel,
  formatAge,
  formatAgo,
  formatCountdown,
  branchNotes,
  conflictedPaths,
  initNotice,
  operationHelp,
  repoCounts,
  repoProblem,
  repoWarning,
  secondsLeft,
  sessionCategory,
  sessionEndedMessage,
  sessionTitle,
  shortSha,
  sparkProblem,
  stateBadgeClass,
  stateLabel,
  summaryLine
} from '../src/format';
import { repo, session, spark, status } from './fixtures';

const NOW = new Date('2024-05-02T12:00:00Z');

describe('session state badge', () => {
  it.each([
    ['not_started', 'starting'],
    ['starting', 'starting'],
    ['idle', 'idle'],
    ['busy', 'busy'],
    ['running', 'busy'],
    ['shutting_down', 'stopping'],
    ['error', 'failed'],
    ['dead', 'failed'],
    ['killed', 'failed'],
    ['success', 'done'],
    ['something-new', 'unknown']
  ])('maps Livy state %s to the %s colour', (state, category) => {
    expect(sessionCategory(state)).toBe(category);
    expect(stateBadgeClass(state)).toBe(`jp-IlumBadge jp-IlumBadge-${category}`);
  });

  it('words shutting_down with a space', () => {
    expect(stateLabel('shutting_down')).toBe('shutting down');
  });

  it('names an unnamed session by its id', () => {
    expect(sessionTitle(session({ id: 7 }))).toBe('Session 7');
    expect(sessionTitle(session({ id: 7, name: 'etl' }))).toBe('etl');
  });
});

describe('ages', () => {
  it.each([
    ['2024-05-02T11:59:55Z', 'just now'],
    ['2024-05-02T11:59:15Z', '45 s'],
    ['2024-05-02T11:55:00Z', '5 min'],
    ['2024-05-02T09:00:00Z', '3 h'],
    ['2024-05-01T00:00:00Z', '36 h'],
    ['2024-04-28T12:00:00Z', '4 d']
  ])('%s is %s old at noon on 2 May', (iso, expected) => {
    expect(formatAge(iso, NOW)).toBe(expected);
  });

  it('is unknown for a missing or unreadable time', () => {
    expect(formatAge(null, NOW)).toBeNull();
    expect(formatAge(undefined, NOW)).toBeNull();
    expect(formatAge('yesterday', NOW)).toBeNull();
  });

  it('treats a time in the future (clock skew) as just now', () => {
    expect(formatAge('2024-05-02T12:05:00Z', NOW)).toBe('just now');
  });

  it('says "ago" except for just now', () => {
    expect(formatAgo('2024-05-02T11:55:00Z', NOW)).toBe('5 min ago');
    expect(formatAgo('2024-05-02T12:00:00Z', NOW)).toBe('just now');
    expect(formatAgo(null, NOW)).toBeNull();
  });
});

describe('spark problems', () => {
  const endpoint = 'http://ilum-core:9888';

  it('tells a proxy that answered an error from one that is unreachable', () => {
    const answered = spark({
      reachable: false,
      error: 'HTTP 500: boom',
      error_code: 'error-answer'
    });
    expect(sparkProblem(answered)).toBe(
      `The Livy-proxy at ${endpoint} answered with an error: HTTP 500: boom`
    );
    const down = spark({
      reachable: false,
      error: 'connection refused',
      error_code: 'unreachable'
    });
    expect(sparkProblem(down)).toBe(
      `The Livy-proxy at ${endpoint} is unreachable: connection refused`
    );
    expect(summaryLine(status({ spark: answered }), null)).toBe('Spark: error · Git: up to date');
  });

  it('names nonsense and the first wait, and nothing when the list came', () => {
    const bad = spark({ reachable: false, error: 'answer is not JSON', error_code: 'bad-answer' });
    expect(sparkProblem(bad)).toContain('answered something that is not a session list');
    const waiting = spark({ reachable: false, error: 'still waiting', error_code: 'waiting' });
    expect(sparkProblem(waiting)).toBe(
      `Waiting for the first answer of the Livy-proxy at ${endpoint}…`
    );
    expect(sparkProblem(spark())).toBeNull();
  });

  it('names the ended session as the panel does', () => {
    expect(sessionEndedMessage('etl-job')).toBe('etl-job ended');
  });
});

describe('countdowns', () => {
  it('shows seconds, also past a minute, so that it visibly counts down', () => {
    expect(formatCountdown(28)).toBe('28 s');
    expect(formatCountdown(245)).toBe('4 min 05 s');
  });

  it('counts whole seconds down to zero', () => {
    expect(secondsLeft(new Date(NOW.getTime() + 7200), NOW)).toBe(8);
    expect(secondsLeft(new Date(NOW.getTime() - 1000), NOW)).toBe(0);
    expect(secondsLeft(null, NOW)).toBe(0);
  });
});

describe('repository problems in plain words', () => {
  it.each([
    ['index-corrupt', 'damaged', 'rm .git/index && git reset'],
    ['index-missing', 'missing', 'git reset'],
    ['dubious-ownership', 'another user owns', 'safe.directory /home/jovyan'],
    ['not-a-repo', 'cannot use it', 'Restart the server'],
    ['timeout', 'too long', '.gitignore'],
    ['git', 'could not read', 'git status']
  ] as const)('%s says what it is, that files are safe, and what to do', (code, what, next) => {
    const problem = repoProblem(
      repo({ state: 'error', error: 'fatal: git said so', error_code: code })
    );
    expect(problem?.title).toContain(what);
    expect(problem?.safety).toMatch(/files are (safe|not changed)/);
    expect(problem?.next).toContain(next);
    expect(problem?.details).toBe('fatal: git said so');
  });

  it('explains a missing repository and says nothing about a readable one', () => {
    expect(repoProblem(repo({ state: 'no-repo' }))?.title).toBe(
      'There is no git repository in /home/jovyan.'
    );
    expect(repoProblem(repo({ state: 'dirty', modified: 1 }))).toBeNull();
  });

  it('explains a detached HEAD and an upstream that is gone', () => {
    const notes = branchNotes(
      repo({ branch: null, detached: true, upstream: 'origin/topic', upstream_gone: true })
    );
    expect(notes[0]).toContain('detached HEAD');
    expect(notes[1]).toContain('origin/topic no longer exists on Gitea');
    expect(branchNotes(repo())).toEqual([]);
  });

  it('says how to finish or abort each operation', () => {
    expect(operationHelp('merge')?.abort).toBe('git merge --abort');
    expect(operationHelp('rebase')?.finish).toContain('git rebase --continue');
    expect(operationHelp('cherry-pick')?.abort).toBe('git cherry-pick --abort');
    expect(operationHelp(null)).toBeNull();
  });

  it('lists the conflicted files', () => {
    const r = repo({
      changes: [
        { path: 'a.ipynb', kind: 'conflicted' },
        { path: 'b.py', kind: 'modified' }
      ]
    });
    expect(conflictedPaths(r)).toEqual(['a.ipynb']);
  });
});

describe('repository', () => {
  it('lists every count in a fixed order', () => {
    const counts = repoCounts(repo({ modified: 2, staged: 1, untracked: 3, ahead: 4, behind: 5 }));
    expect(counts.map(c => [c.key, c.value])).toEqual([
      ['modified', 2],
      ['staged', 1],
      ['untracked', 3],
      ['conflicted', 0],
      ['ahead', 4],
      ['behind', 5]
    ]);
  });

  it('warns about nothing when everything is committed and pushed', () => {
    expect(repoWarning(repo())).toBeNull();
  });

  it('warns about uncommitted and unpushed work with the backup note', () => {
    const warning = repoWarning(repo({ state: 'dirty', modified: 2, untracked: 1, ahead: 1 }));
    expect(warning).toBe(`3 changes not committed, 1 commit not pushed. ${BACKUP_NOTE}`);
    expect(warning).toContain('Only pushed work is backed up on Gitea.');
  });

  it('says that a diverged branch needs a pull before a push', () => {
    const warning = repoWarning(repo({ state: 'diverged', ahead: 1, behind: 1 }));
    expect(warning).toBe(
      'Both Gitea (1 new commit) and this workspace (1 new commit) have moved on: pull ' +
        `(merge or rebase) before you push, for example with the Git panel. ${BACKUP_NOTE}`
    );
  });

  it('warns about conflicts first', () => {
    expect(repoWarning(repo({ state: 'conflicted', conflicted: 1 }))).toBe(
      `1 file with merge conflicts. ${BACKUP_NOTE}`
    );
  });

  it('warns when a branch with commits has no upstream', () => {
    expect(repoWarning(repo({ upstream: null }))).toBe(
      `This branch is not pushed anywhere. ${BACKUP_NOTE}`
    );
  });

  it('does not warn about an unborn branch or a missing repository', () => {
    expect(repoWarning(repo({ upstream: null, head: null, unborn: true }))).toBeNull();
    expect(repoWarning(repo({ state: 'no-repo', modified: 3 }))).toBeNull();
  });

  it('labels a detached HEAD by its commit', () => {
    expect(branchLabel(repo())).toBe('main');
    expect(branchLabel(repo({ branch: null, detached: true }))).toBe('detached at 0123456');
    expect(shortSha(null)).toBe('');
  });
});

describe('status bar summary', () => {
  it('reads like the example in the issue', () => {
    const s = status({
      spark: spark({ sessions: [session({ state: 'busy' })] }),
      repo: repo({ state: 'ahead', ahead: 3 })
    });
    expect(summaryLine(s, null)).toBe('Spark: 1 busy · Git: 3 unpushed');
  });

  it('counts only the users own unfinished sessions, grouped by state', () => {
    const s = status({
      spark: spark({
        sessions: [
          session({ id: 1, state: 'idle' }),
          session({ id: 2, state: 'busy' }),
          session({ id: 3, state: 'idle' }),
          session({ id: 4, state: 'dead', finished: true }),
          session({ id: 5, state: 'busy', mine: false })
        ]
      })
    });
    expect(summaryLine(s, null)).toBe('Spark: 1 busy, 2 idle · Git: up to date');
  });

  it('names an unreachable Livy-proxy and an empty one', () => {
    expect(
      summaryLine(
        status({ spark: spark({ reachable: false, error: 'refused', error_code: 'unreachable' }) }),
        null
      )
    ).toBe('Spark: unreachable · Git: up to date');
    expect(summaryLine(status(), null)).toBe('Spark: no sessions · Git: up to date');
  });

  it('adds uncommitted, conflicted and behind counts', () => {
    const r = repo({ state: 'conflicted', conflicted: 1, modified: 2, staged: 1, behind: 4 });
    expect(summaryLine(status({ repo: r }), null)).toBe(
      'Spark: no sessions · Git: 1 conflicted, 3 uncommitted, 4 behind'
    );
  });

  it('says when there is no repository or it cannot be read', () => {
    expect(summaryLine(status({ repo: repo({ state: 'no-repo' }) }), null)).toContain(
      'Git: no repository'
    );
    expect(summaryLine(status({ repo: repo({ state: 'error', error: 'x' }) }), null)).toContain(
      'Git: error'
    );
  });

  it('marks a stale status and a missing one', () => {
    expect(summaryLine(status(), 'Bad Gateway')).toBe(
      'Spark: no sessions · Git: up to date (stale)'
    );
    expect(summaryLine(null, 'Bad Gateway')).toBe('Ilum: status unavailable');
    expect(summaryLine(null, null)).toBe('Ilum: loading…');
  });
});

describe('init notice', () => {
  const path = '/home/jovyan/.local/state/ilum/init.json';

  it('is silent when init never ran or succeeded', () => {
    expect(initNotice({ present: false, path })).toBeNull();
    expect(initNotice({ present: true, path, outcome: 'ok', error: null })).toBeNull();
    expect(initNotice({ present: true, path, outcome: 'running' })).toBeNull();
  });

  it('tells what failed and what to do', () => {
    const notice = initNotice({
      present: true,
      path,
      outcome: 'failed',
      finished_at: '2024-05-02T11:00:00+00:00',
      error: {
        code: 'authentication',
        message: 'Gitea refused the credentials',
        hint: 'Ask for a new token',
        admin_hint: 'Check the Secret'
      }
    });
    expect(notice).toEqual({
      title: 'Workspace set-up failed when this server started',
      code: 'authentication',
      message: 'Gitea refused the credentials',
      hint: 'Ask for a new token',
      adminHint: 'Check the Secret',
      finishedAt: '2024-05-02T11:00:00+00:00'
    });
  });

  it('still gives advice when the failure has no error object', () => {
    const notice = initNotice({ present: true, path, outcome: 'failed', error: null });
    expect(notice?.code).toBe('error');
    expect(notice?.hint).toMatch(/Restart the server/);
    expect(notice?.adminHint).toBe('');
  });
});
