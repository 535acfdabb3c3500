import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { Contents } from '@jupyterlab/services';
import { Debouncer } from '@lumino/polling';

import type { IlumStatusModel } from './model';

/** Saves and git actions that arrive within this many milliseconds cost one status read. */
export const REFRESH_DEBOUNCE_MS = 300;

/**
 * Refresh the panel as soon as the repository may have changed, instead of at the next poll:
 * when this lab saves, creates, renames or deletes a file, and when jupyterlab-git (if
 * installed) acted. Each asks the server for a fresh repository state; the server shares one
 * git run between all tabs that ask at once. Returns what stops listening.
 */
export async function refreshOnChanges(
  app: JupyterFrontEnd,
  model: IlumStatusModel
): Promise<() => void> {
  const debouncer = new Debouncer(() => model.refresh(true), REFRESH_DEBOUNCE_MS);
  const refresh = (): void => void debouncer.invoke();
  const contents = app.serviceManager.contents;
  const onFileChanged = (_: Contents.IManager, change: Contents.IChangedArgs): void => {
    // git does not see an empty folder; every other change may change its status.
    if (change.type !== 'new' || change.newValue?.type !== 'directory') {
      refresh();
    }
  };
  contents.fileChanged.connect(onFileChanged);
  const git = await gitModel(app);
  git?.statusChanged.connect(refresh);
  git?.headChanged.connect(refresh);
  return () => {
    contents.fileChanged.disconnect(onFileChanged);
    git?.statusChanged.disconnect(refresh);
    git?.headChanged.disconnect(refresh);
    debouncer.dispose();
  };
}

/** jupyterlab-git's model, or null when that extension is not installed. */
async function gitModel(
  app: JupyterFrontEnd
): Promise<import('@jupyterlab/git').IGitExtension | null> {
  try {
    const { IGitExtension } = await import('@jupyterlab/git');
    return await app.resolveOptionalService(IGitExtension);
  } catch {
    return null; // not in the lab's shared modules: jupyterlab-git is not installed
  }
}
