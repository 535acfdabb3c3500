import type { IRepo, ISpark, ISparkSession, IStatus } from '../src/types';

export function repo(overrides: Partial<IRepo> = {}): IRepo {
  return {
    state: 'clean',
    branch: 'main',
    detached: false,
    unborn: false,
    operation: null,
    head: '0123456789abcdef0123456789abcdef01234567',
    upstream: 'origin/main',
    upstream_gone: false,
    ahead: 0,
    behind: 0,
    staged: 0,
    modified: 0,
    untracked: 0,
    conflicted: 0,
    changes: [],
    changes_truncated: false,
    last_commit: {
      sha: '0123456789abcdef0123456789abcdef01234567',
      summary: 'Initial notebooks',
      author: 'Jane Doe',
      time: '2024-05-01T10:00:00+00:00'
    },
    last_fetch: null,
    remote: 'http://gitea/org/repo.git',
    web_url: 'http://gitea/org/repo',
    path: '/home/jovyan',
    error: null,
    error_code: null,
    ...overrides
  };
}

export function session(overrides: Partial<ISparkSession> = {}): ISparkSession {
  return {
    id: 0,
    name: null,
    state: 'idle',
    kind: 'pyspark',
    app_id: null,
    owner: 'jane',
    proxy_user: 'jane',
    spark_ui_url: null,
    driver_log_url: null,
    mine: true,
    finished: false,
    ...overrides
  };
}

export function spark(overrides: Partial<ISpark> = {}): ISpark {
  return {
    endpoint: 'http://ilum-core:9888',
    reachable: true,
    error: null,
    error_code: null,
    latency_ms: 3,
    total: 0,
    others: 0,
    user: 'jane',
    sessions: [],
    ...overrides
  };
}

export function status(overrides: Partial<IStatus> = {}): IStatus {
  return {
    repo: repo(),
    spark: spark(),
    init: { present: false, path: '/home/jovyan/.local/state/ilum/init.json' },
    user: 'jane',
    version: '0.1.0',
    ...overrides
  };
}
