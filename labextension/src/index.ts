import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Token } from '@lumino/coreutils';

import { IlumClient } from './client';
import { CommandIDs, PANEL_ID } from './commands';
import { ilumIcon } from './icons';
import { IlumStatusModel } from './model';
import { IlumPanel } from './panel';
import { IlumStatusItem } from './statusbar';

const PLUGIN_PREFIX = '@ilum/singleuser';

/** The status model and the API client, shared by the panel and the status bar. */
export interface IIlumStatus {
  readonly model: IlumStatusModel;
  readonly client: IlumClient;
}

export const IIlumStatus = new Token<IIlumStatus>(
  `${PLUGIN_PREFIX}:IIlumStatus`,
  'The Ilum status model (repository, Spark sessions, init) and API client.'
);

const modelPlugin: JupyterFrontEndPlugin<IIlumStatus> = {
  id: `${PLUGIN_PREFIX}:model`,
  description: 'Polls the Ilum status API.',
  autoStart: true,
  provides: IIlumStatus,
  optional: [ISettingRegistry],
  activate: (app: JupyterFrontEnd, settingRegistry: ISettingRegistry | null): IIlumStatus => {
    const client = new IlumClient(app.serviceManager.serverSettings);
    const model = new IlumStatusModel({
      source: client,
      intervalMs: IlumStatusModel.intervalFromSetting(undefined)
    });
    if (settingRegistry) {
      void settingRegistry
        .load(`${PLUGIN_PREFIX}:model`)
        .then(settings => {
          const apply = (): void => {
            model.setInterval(
              IlumStatusModel.intervalFromSetting(settings.get('pollInterval').composite)
            );
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => console.error('Ilum: cannot load the settings', reason));
    }
    return { model, client };
  }
};

const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_PREFIX}:panel`,
  description: 'The Ilum sidebar panel, its commands and its Launcher card.',
  autoStart: true,
  requires: [IIlumStatus],
  optional: [ILayoutRestorer, ILauncher, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    ilum: IIlumStatus,
    restorer: ILayoutRestorer | null,
    launcher: ILauncher | null,
    palette: ICommandPalette | null
  ): void => {
    const { model, client } = ilum;
    const { commands, shell } = app;
    const panel = new IlumPanel(model, commands);
    shell.add(panel, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(panel, 'ilum-singleuser-panel');
    }

    commands.addCommand(CommandIDs.openPanel, {
      label: 'Ilum Panel',
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
      execute: async () => {
        try {
          model.replaceRepo(await client.fetchRepo());
        } catch (reason) {
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
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'End session' })]
        });
        if (!answer.button.accept) {
          return;
        }
        try {
          await client.endSession(id);
          model.removeSession(id);
          Notification.success(`Spark session ${id} ended.`, { autoClose: 3000 });
        } catch (reason) {
          await showErrorMessage('Could not end the Spark session', reason as Error);
        }
        await model.refresh();
      }
    });

    // jupyterlab-git may activate after this plugin: look for its command once all are up.
    void app.restored.then(() => {
      if (commands.hasCommand(CommandIDs.gitInterface)) {
        commands.addCommand(CommandIDs.openGitPanel, {
          label: 'Open the Git Panel',
          execute: () => commands.execute(CommandIDs.gitInterface)
        });
      }
    });

    if (launcher) {
      launcher.add({ command: CommandIDs.openPanel, category: 'Other', rank: 0 });
    }
    if (palette) {
      for (const command of [CommandIDs.openPanel, CommandIDs.refresh, CommandIDs.fetch]) {
        palette.addItem({ command, category: 'Ilum' });
      }
    }
  }
};

const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_PREFIX}:status-bar`,
  description: 'The one-line Ilum summary in the status bar.',
  autoStart: true,
  requires: [IIlumStatus, IStatusBar],
  activate: (app: JupyterFrontEnd, ilum: IIlumStatus, statusBar: IStatusBar): void => {
    const item = new IlumStatusItem(ilum.model, () => {
      void app.commands.execute(CommandIDs.openPanel);
    });
    statusBar.registerStatusItem(`${PLUGIN_PREFIX}:status-bar`, {
      item,
      align: 'left',
      rank: 100
    });
  }
};

export default [modelPlugin, panelPlugin, statusBarPlugin];
