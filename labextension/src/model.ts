import type { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type { IStatusSource } from './client';
import { summaryLine } from './format';
import type { IRepo, ISparkSession, IStatus } from './types';

/** Longest wait between two status reads while the server keeps failing. */
export const DEFAULT_MAX_INTERVAL_MS = 5 * 60 * 1000;

/** Most other users' sessions the panel lists (the server caps a page at 100). */
export const OTHERS_SHOWN = 100;

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

  /** Milliseconds between the last failed read and the next attempt (grows with back-off). */
  get retryInMs(): number | null {
    return this._error === null ? null : this._poll.state.interval;
  }

  /** When the next attempt after a failed read is due, or null after a success. */
  get nextTryAt(): Date | null {
    return this._error === null ? null : this._nextTryAt;
  }

  /** Until when the server refuses another fetch (its rate limit), or null. */
  get fetchBlockedUntil(): Date | null {
    const until = this._fetchBlockedUntil;
    return until && until.getTime() > this._now().getTime() ? until : null;
  }

  /** Whether other users' sessions are asked for (the panel's "Show other users' sessions"). */
  get showOthers(): boolean {
    return this._showOthers;
  }

  /** Other users' sessions (at most {@link OTHERS_SHOWN}) while `showOthers` is on. */
  get otherSessions(): ISparkSession[] | null {
    return this._showOthers ? this._others : null;
  }

  /** Whether ending this session was confirmed and is under way. */
  isEnding(id: number): boolean {
    return this._ending.has(id);
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

  /**
   * Read the status now and resolve once the read is done (it never rejects). `fresh` asks
   * the server to read the repository again instead of serving its cached state (a file was
   * saved); the server still shares one git run between tabs that ask at once.
   */
  async refresh(fresh = false): Promise<void> {
    this._fresh = this._fresh || fresh;
    await this._poll.refresh();
    await this._poll.tick;
  }

  /** The server refused a fetch for `seconds`: views disable Fetch and count down. */
  blockFetch(seconds: number): void {
    this._fetchBlockedUntil = new Date(this._now().getTime() + seconds * 1000);
    this._changed.emit();
  }

  /** Ask for other users' sessions with every read, or stop. */
  async setShowOthers(show: boolean): Promise<void> {
    this._showOthers = show;
    this._others = null;
    this._changed.emit();
    if (show) {
      await this.refresh();
    }
  }

  /** Mark a confirmed "End session" as under way, or done. */
  setEnding(id: number, ending: boolean): void {
    if (ending) {
      this._ending.add(id);
    } else {
      this._ending.delete(id);
    }
    this._changed.emit();
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
    const fresh = this._fresh;
    this._fresh = false;
    try {
      this._status = await this._source.status(fresh);
      if (this._showOthers && this._status.spark.others > 0) {
        this._others = (await this._source.otherSessions(0, OTHERS_SHOWN)).sessions;
      } else {
        this._others = [];
      }
      this._error = null;
      this._lastUpdated = this._now();
    } catch (reason) {
      this._error = reason instanceof Error ? reason.message : String(reason);
      // Rethrown so that the poll backs off.
      throw reason;
    }
  }

  private _onTicked(_: Poll, state: Poll['state']): void {
    if (state.phase === 'rejected') {
      this._nextTryAt = new Date(this._now().getTime() + state.interval);
    }
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
  private _nextTryAt: Date | null = null;
  private _fetchBlockedUntil: Date | null = null;
  private _fresh = false;
  private _showOthers = false;
  private _others: ISparkSession[] | null = null;
  private _ending = new Set<number>();
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
