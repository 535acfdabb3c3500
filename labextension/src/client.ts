import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from './request';
import type { IAutosave, IDeleteSessionReply, IRepo, ISpark, IStatus } from './types';

/** What the model needs from the server. */
export interface IStatusSource {
  /** The panel's poll; `fresh` asks for the repository to be read again, not from cache. */
  status(fresh?: boolean): Promise<IStatus>;
  /** Other users' sessions `from` to `from + size`. */
  otherSessions(from: number, size: number): Promise<ISpark>;
}

/** The server extension's API as the front end uses it. */
export class IlumClient implements IStatusSource {
  constructor(
    readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  status(fresh = false): Promise<IStatus> {
    return requestAPI<IStatus>(fresh ? 'status?fresh=1' : 'status', this.serverSettings);
  }

  otherSessions(from: number, size: number): Promise<ISpark> {
    return requestAPI<ISpark>(
      `spark/sessions?others=1&from=${from}&size=${size}`,
      this.serverSettings
    );
  }

  fetchRepo(): Promise<IRepo> {
    return requestAPI<IRepo>('repo/fetch', this.serverSettings, { method: 'POST' });
  }

  autosaveNow(): Promise<IAutosave> {
    return requestAPI<IAutosave>('autosave', this.serverSettings, { method: 'POST' });
  }

  endSession(id: number): Promise<IDeleteSessionReply> {
    return requestAPI<IDeleteSessionReply>(
      `spark/sessions/${encodeURIComponent(String(id))}`,
      this.serverSettings,
      { method: 'DELETE' }
    );
  }
}
