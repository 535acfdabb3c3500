import type { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type { IStatusSource } from './client';
import { summaryLine } from './format';
import type { IRepo, IStatus } from './types';

/** Longest wait between two status reads while the server keeps failing. */
export const DEFAULT_MAX_INTERVAL_MS = 5 * 60 * 1000;

/**
 * The one status model of the page: polls `GET ilum/api/status`, backs off while the
 * server fails, stands by while the page is hidden, and tells the views when anything
 * changed. Views only read it.
 */
export class IlumStatusModel implements IDisposable {
  constructor(options: IlumStatusModel.IOptions) {
    this._source = options.source;
    this._now = options.now ?? (() => new Date());
    this._poll = new Poll({
      name: '@ilum/singleuser:status',
      factory: () => this._read(),
      frequency: IlumStatusModel.frequency(options.intervalMs, options.maxIntervalMs),
      standby: options.standby ?? 'when-hidden',
      auto: options.auto ?? true
    });
    // The constructor raises `max` to at least Poll's default; the setter takes ours as is.
    this._poll.frequency = IlumStatusModel.frequency(options.intervalMs, options.maxIntervalMs);
    this._poll.ticked.connect(this._onTicked, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The last status the server answered; kept when a later read fails. */
  get status(): IStatus | null {
    return this._status;
  }

  /** Why the last read failed, or null when it succeeded. */
  get error(): string | null {
    return this._error;
  }

  get lastUpdated(): Date | null {
    return this._lastUpdated;
  }

  /** Milliseconds until the next attempt after a failed read (grows with back-off). */
  get retryInMs(): number | null {
    return this._error === null ? null : this._poll.state.interval;
  }

  get intervalMs(): number {
    return this._poll.frequency.interval;
  }

  get summary(): string {
    return summaryLine(this._status, this._error);
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  now(): Date {
    return this._now();
  }

  /** Change the polling interval (from the settings). */
  setInterval(intervalMs: number, maxIntervalMs?: number): void {
    this._poll.frequency = IlumStatusModel.frequency(intervalMs, maxIntervalMs);
  }

  /** Read the status now and resolve once the read is done (it never rejects). */
  async refresh(): Promise<void> {
    await this._poll.refresh();
    await this._poll.tick;
  }

  /** Show a repository state that an action (such as a fetch) just returned. */
  replaceRepo(repo: IRepo): void {
    if (this._status) {
      this._status = { ...this._status, repo };
      this._changed.emit();
    }
  }

  /** Drop a session the server just ended, before the next poll confirms it. */
  removeSession(id: number): void {
    if (this._status) {
      const spark = this._status.spark;
      const sessions = spark.sessions.filter(s => s.id !== id);
      if (sessions.length !== spark.sessions.length) {
        this._status = { ...this._status, spark: { ...spark, sessions } };
        this._changed.emit();
      }
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    // Poll.dispose() leaves its pending timer behind; stopping first clears it.
    void this._poll.stop();
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _read(): Promise<void> {
    try {
      this._status = await this._source.status();
      this._error = null;
      this._lastUpdated = this._now();
    } catch (reason) {
      this._error = reason instanceof Error ? reason.message : String(reason);
      // Rethrown so that the poll backs off.
      throw reason;
    }
  }

  private _onTicked(_: Poll, state: Poll['state']): void {
    if (state.phase === 'resolved' || state.phase === 'rejected') {
      this._changed.emit();
    }
  }

  private _source: IStatusSource;
  private _now: () => Date;
  private _poll: Poll;
  private _status: IStatus | null = null;
  private _error: string | null = null;
  private _lastUpdated: Date | null = null;
  private _changed = new Signal<this, void>(this);
}

export namespace IlumStatusModel {
  export interface IOptions {
    source: IStatusSource;
    intervalMs: number;
    maxIntervalMs?: number;
    standby?: Poll.Standby;
    auto?: boolean;
    now?: () => Date;
  }

  export function frequency(intervalMs: number, maxIntervalMs?: number): IPoll.Frequency {
    const interval = Math.max(1, Math.round(intervalMs));
    const max = Math.max(interval, maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS);
    return { interval, backoff: true, max };
  }

  /** Seconds from the settings to a polling interval; falls back on bad values. */
  export function intervalFromSetting(value: unknown, fallbackSeconds = 10): number {
    const seconds = typeof value === 'number' && Number.isFinite(value) ? value : fallbackSeconds;
    return Math.max(2, seconds) * 1000;
  }
}
