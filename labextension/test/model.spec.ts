import type { IStatusSource } from '../src/client';
import { IlumStatusModel } from '../src/model';
import type { ISpark, IStatus } from '../src/types';
import { repo, session, spark, status } from './fixtures';

/** A status source that answers from a queue of results, recording every call. */
class ScriptedSource implements IStatusSource {
  calls = 0;
  freshCalls = 0;
  otherPages: [number, number][] = [];
  constructor(
    private readonly _answers: (IStatus | Error)[],
    private readonly _others: ISpark = spark()
  ) {}

  async otherSessions(from: number, size: number): Promise<ISpark> {
    this.otherPages.push([from, size]);
    return this._others;
  }

  async status(fresh = false): Promise<IStatus> {
    const answer = this._answers[Math.min(this.calls, this._answers.length - 1)];
    this.calls += 1;
    this.freshCalls += fresh ? 1 : 0;
    if (answer instanceof Error) {
      throw answer;
    }
    return answer;
  }
}

const models: IlumStatusModel[] = [];

function makeModel(
  source: IStatusSource,
  intervalMs = 60_000,
  maxIntervalMs?: number
): IlumStatusModel {
  const model = new IlumStatusModel({ source, intervalMs, maxIntervalMs, auto: false });
  models.push(model);
  return model;
}

afterEach(() => {
  while (models.length) {
    models.pop()?.dispose();
  }
});

describe('IlumStatusModel', () => {
  it('reads the status and signals the change', async () => {
    const answer = status({ spark: spark({ sessions: [session({ state: 'busy' })] }) });
    const source = new ScriptedSource([answer]);
    const model = makeModel(source);
    let changes = 0;
    model.changed.connect(() => (changes += 1));

    await model.refresh();

    expect(source.calls).toBe(1);
    expect(model.status).toEqual(answer);
    expect(model.error).toBeNull();
    expect(model.lastUpdated).not.toBeNull();
    expect(model.summary).toBe('Spark: 1 busy · Git: up to date');
    expect(changes).toBe(1);
  });

  it('keeps the last status and reports the error when a read fails', async () => {
    const source = new ScriptedSource([status(), new Error('Bad Gateway')]);
    const model = makeModel(source);
    await model.refresh();
    await model.refresh();

    expect(model.status).not.toBeNull();
    expect(model.error).toBe('Bad Gateway');
    expect(model.summary).toBe('Spark: no sessions · Git: up to date (stale)');
  });

  it('backs off while reads fail, never beyond the maximum, and resets on success', async () => {
    const failure = new Error('Service Unavailable');
    const answers: (IStatus | Error)[] = Array(10).fill(failure);
    const source = new ScriptedSource([...answers, status()]);
    const model = new IlumStatusModel({ source, intervalMs: 20, maxIntervalMs: 160 });
    models.push(model);
    const delays: number[] = [];
    await new Promise<void>(resolve => {
      model.changed.connect(() => {
        if (model.error === null) {
          resolve();
        } else {
          delays.push(model.retryInMs as number);
        }
      });
    });

    expect(delays).toHaveLength(10);
    expect(Math.max(...delays)).toBeGreaterThan(40);
    expect(Math.max(...delays)).toBeLessThanOrEqual(160);
    expect(model.retryInMs).toBeNull();
    expect(model.status).not.toBeNull();
  });

  it('polls on its own at the configured interval', async () => {
    const source = new ScriptedSource([status()]);
    const model = new IlumStatusModel({ source, intervalMs: 20 });
    models.push(model);

    await new Promise(resolve => setTimeout(resolve, 150));

    expect(source.calls).toBeGreaterThanOrEqual(3);
  });

  it('takes a new interval from the settings', () => {
    const model = makeModel(new ScriptedSource([status()]), 10_000);
    model.setInterval(IlumStatusModel.intervalFromSetting(30));
    expect(model.intervalMs).toBe(30_000);
  });

  it('shows a repository that an action returned without waiting for the poll', async () => {
    const model = makeModel(new ScriptedSource([status()]));
    await model.refresh();
    let changes = 0;
    model.changed.connect(() => (changes += 1));

    model.replaceRepo(repo({ state: 'behind', behind: 2 }));

    expect(model.status?.repo.behind).toBe(2);
    expect(changes).toBe(1);
  });

  it('drops an ended session at once and ignores unknown ids', async () => {
    const answer = status({ spark: spark({ sessions: [session({ id: 1 }), session({ id: 2 })] }) });
    const model = makeModel(new ScriptedSource([answer]));
    await model.refresh();
    let changes = 0;
    model.changed.connect(() => (changes += 1));

    model.removeSession(1);
    model.removeSession(99);

    expect(model.status?.spark.sessions.map(s => s.id)).toEqual([2]);
    expect(changes).toBe(1);
    expect(answer.spark.sessions).toHaveLength(2);
  });

  it('asks for a fresh repository state only when told to', async () => {
    const source = new ScriptedSource([status()]);
    const model = makeModel(source);
    await model.refresh();
    await model.refresh(true);
    await model.refresh();
    expect([source.calls, source.freshCalls]).toEqual([3, 1]);
  });

  it('asks for other users sessions only while they are shown', async () => {
    const theirs = session({ id: 7, mine: false, owner: 'bob' });
    const answer = status({ spark: spark({ total: 2, others: 1, sessions: [session()] }) });
    const source = new ScriptedSource([answer], spark({ others: 1, sessions: [theirs] }));
    const model = makeModel(source);
    await model.refresh();
    expect(source.otherPages).toEqual([]);
    expect(model.otherSessions).toBeNull();

    await model.setShowOthers(true);
    expect(source.otherPages).toEqual([[0, 100]]);
    expect(model.otherSessions).toEqual([theirs]);

    await model.setShowOthers(false);
    await model.refresh();
    expect(source.otherPages).toHaveLength(1);
    expect(model.otherSessions).toBeNull();
  });

  it('knows when the next try after a failure is due', async () => {
    const now = new Date('2024-05-02T12:00:00Z');
    const source = new ScriptedSource([new Error('Bad Gateway'), status()]);
    const model = new IlumStatusModel({ source, intervalMs: 60_000, auto: false, now: () => now });
    models.push(model);
    await model.refresh();
    const due = model.nextTryAt?.getTime() ?? 0;
    expect(due - now.getTime()).toBe(model.retryInMs);
    await model.refresh();
    expect(model.nextTryAt).toBeNull();
  });

  it('blocks Fetch for the time the server asked and marks sessions being ended', () => {
    let now = new Date('2024-05-02T12:00:00Z');
    const model = new IlumStatusModel({
      source: new ScriptedSource([status()]),
      intervalMs: 60_000,
      auto: false,
      now: () => now
    });
    models.push(model);
    model.blockFetch(8);
    expect(model.fetchBlockedUntil?.getTime()).toBe(now.getTime() + 8000);
    now = new Date(now.getTime() + 8000);
    expect(model.fetchBlockedUntil).toBeNull();

    model.setEnding(3, true);
    expect(model.isEnding(3)).toBe(true);
    model.setEnding(3, false);
    expect(model.isEnding(3)).toBe(false);
  });

  it('stops polling when disposed', async () => {
    const source = new ScriptedSource([status()]);
    const model = new IlumStatusModel({ source, intervalMs: 20 });
    await model.refresh();
    model.dispose();
    const calls = source.calls;

    await new Promise(resolve => setTimeout(resolve, 100));

    expect(model.isDisposed).toBe(true);
    expect(source.calls).toBe(calls);
  });
});

describe('interval from the settings', () => {
  it('converts seconds and enforces a two-second floor', () => {
    expect(IlumStatusModel.intervalFromSetting(10)).toBe(10_000);
    expect(IlumStatusModel.intervalFromSetting(0.5)).toBe(2_000);
  });

  it('falls back on a missing or unreadable value', () => {
    expect(IlumStatusModel.intervalFromSetting(undefined)).toBe(10_000);
    expect(IlumStatusModel.intervalFromSetting('fast')).toBe(10_000);
    expect(IlumStatusModel.intervalFromSetting(Number.NaN, 5)).toBe(5_000);
  });

  it('never sets a maximum below the interval', () => {
    expect(IlumStatusModel.frequency(600_000)).toEqual({
      interval: 600_000,
      backoff: true,
      max: 600_000
    });
  });
});
