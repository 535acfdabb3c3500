import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from './request';
import type { IAutosave, IDeleteSessionReply, IRepo, IStatus } from './types';

/** What the model needs from the server: one status read. */
export interface IStatusSource {
  status(): Promise<IStatus>;
}

/** The server extension's API as the front end uses it. */
export class IlumClient implements IStatusSource {
  constructor(
    readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  status(): Promise<IStatus> {
    return requestAPI<IStatus>('status', this.serverSettings);
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
