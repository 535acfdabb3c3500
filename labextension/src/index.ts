import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Token } from '@lumino/coreutils';

import { IlumClient } from './client';
import { addCommands, addLauncherAndPaletteItems, CommandIDs, PANEL_ID } from './commands';
import { IlumStatusModel } from './model';
import { IlumPanel } from './panel';
import { refreshOnChanges } from './liveRefresh';
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
    const panel = new IlumPanel(model, app.commands);
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, PANEL_ID);
    addCommands(app, model, client);
    addLauncherAndPaletteItems(launcher, palette);
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

const liveRefreshPlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_PREFIX}:live-refresh`,
  description: 'Refreshes the Ilum status when a file is saved or jupyterlab-git acts.',
  autoStart: true,
  requires: [IIlumStatus],
  activate: (app: JupyterFrontEnd, ilum: IIlumStatus): void => {
    void refreshOnChanges(app, ilum.model);
  }
};

export default [modelPlugin, panelPlugin, statusBarPlugin, liveRefreshPlugin];
