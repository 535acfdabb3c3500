import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  type ICommandPalette,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import type { ILauncher } from '@jupyterlab/launcher';

import { addAutosaveCommand, AUTOSAVE_NOW } from './autosave';
import type { IlumClient } from './client';
import { sessionEndedMessage } from './format';
import { ilumIcon } from './icons';
import type { IlumStatusModel } from './model';
import { IlumApiError } from './request';

/** Command ids of the extension, and the one of jupyterlab-git that it reuses. */
export namespace CommandIDs {
  export const openPanel = 'ilum:open-panel';
  export const fetch = 'ilum:fetch';
  export const endSession = 'ilum:end-session';
  export const openGitea = 'ilum:open-gitea';
  export const openGitPanel = 'ilum:open-git-panel';
  export const refresh = 'ilum:refresh';
  /** jupyterlab-git's "Git Interface" command: activates its sidebar panel. */
  export const gitInterface = 'git:ui';
}

/** The sidebar panel's widget id. */
export const PANEL_ID = 'ilum-singleuser-panel';

/** The commands of the panel; what each does lives here, the plugin only wires them up. */
export function addCommands(
  app: JupyterFrontEnd,
  model: IlumStatusModel,
  client: IlumClient
): void {
  const { commands, shell } = app;

  commands.addCommand(CommandIDs.openPanel, {
    label: 'Ilum',
    caption: 'Spark sessions, repository sync state and workspace set-up',
    icon: args => (args.isPalette ? undefined : ilumIcon),
    execute: () => shell.activateById(PANEL_ID)
  });

  commands.addCommand(CommandIDs.refresh, {
    label: 'Refresh Ilum Status',
    execute: () => model.refresh()
  });

  commands.addCommand(CommandIDs.fetch, {
    label: 'Fetch the Repository from Gitea',
    isEnabled: () => model.fetchBlockedUntil === null,
    execute: async () => {
      try {
        model.replaceRepo(await client.fetchRepo());
      } catch (reason) {
        // The server's rate limit is no failure: the panel disables Fetch and counts down.
        if (reason instanceof IlumApiError && reason.code === 'rate-limited') {
          model.blockFetch(reason.retryAfter ?? 1);
          return;
        }
        await showErrorMessage('Fetch failed', reason as Error);
      }
    }
  });

  commands.addCommand(CommandIDs.openGitea, {
    label: 'Open the Repository in Gitea',
    isEnabled: () => !!model.status?.repo.web_url,
    execute: () => {
      const url = model.status?.repo.web_url;
      if (url) {
        window.open(url, '_blank', 'noopener,noreferrer');
      }
    }
  });

  commands.addCommand(CommandIDs.endSession, {
    label: 'End Spark Session',
    execute: async args => {
      const id = Number(args.id);
      if (!Number.isInteger(id)) {
        return;
      }
      const name = typeof args.name === 'string' ? args.name : `Session ${id}`;
      const answer = await showDialog({
        title: 'End Spark session?',
        body: `"${name}" (session ${id}) will be stopped. Its variables and cached data are lost.`,
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'End session' })],
        defaultButton: 0 // Cancel: Enter must not end a session by accident
      });
      if (!answer.button.accept) {
        return;
      }
      // "Ending…" only from here on: the panel asks the model, not the button's click.
      model.setEnding(id, true);
      try {
        await client.endSession(id);
        model.removeSession(id);
        Notification.success(sessionEndedMessage(name), { autoClose: 3000 });
      } catch (reason) {
        await showErrorMessage('Could not end the Spark session', reason as Error);
      } finally {
        model.setEnding(id, false);
      }
      await model.refresh();
    }
  });

  addAutosaveCommand(commands, model, client);

  // jupyterlab-git may activate after this plugin: look for its command once all are up.
  void app.restored.then(() => {
    if (commands.hasCommand(CommandIDs.gitInterface)) {
      commands.addCommand(CommandIDs.openGitPanel, {
        label: 'Open the Git Panel',
        execute: () => commands.execute(CommandIDs.gitInterface)
      });
    }
  });
}

/** The Launcher card and the command palette entries. */
export function addLauncherAndPaletteItems(
  launcher: ILauncher | null,
  palette: ICommandPalette | null
): void {
  launcher?.add({ command: CommandIDs.openPanel, category: 'Other', rank: 0 });
  for (const command of [
    CommandIDs.openPanel,
    CommandIDs.refresh,
    CommandIDs.fetch,
    AUTOSAVE_NOW
  ]) {
    palette?.addItem({ command, category: 'Ilum' });
  }
}
