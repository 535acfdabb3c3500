import { Notification, showErrorMessage } from '@jupyterlab/apputils';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import type { IlumClient } from './client';
import { formatAgo, formatCountdown, secondsLeft } from './format';
import type { IlumStatusModel } from './model';
import { formatStamp, heldSummary, restoreNotice } from './autosaveText';
import type { IAutosaveRestore, IStatus } from './types';

/** The "Autosave now" command: one snapshot of the unsaved work, pushed to Gitea. */
export const AUTOSAVE_NOW = 'ilum:autosave-now';

/** Where the page remembers which restore it already announced (shown once). */
const SEEN_RESTORE_KEY = '@ilum/singleuser:autosave-restore-seen';

/** Register the "Autosave now" command (the panel's button runs it). */
export function addAutosaveCommand(
  commands: CommandRegistry,
  model: IlumStatusModel,
  client: IlumClient
): void {
  commands.addCommand(AUTOSAVE_NOW, {
    label: 'Autosave Unsaved Work to Gitea Now',
    isEnabled: () => !!model.status?.autosave?.enabled,
    execute: async () => {
      try {
        const autosave = await client.autosaveNow();
        if (autosave.error) {
          Notification.error(`Autosave failed: ${autosave.error.message}`, { autoClose: 8000 });
        } else {
          Notification.success('Autosaved to Gitea.', { autoClose: 3000 });
        }
      } catch (reason) {
        await showErrorMessage('Autosave failed', reason as Error);
      }
      await model.refresh();
    }
  });
}

function seenRestore(snapshot: string): boolean {
  try {
    return window.localStorage.getItem(SEEN_RESTORE_KEY) === snapshot;
  } catch {
    return false;
  }
}

function markRestoreSeen(snapshot: string): void {
  try {
    window.localStorage.setItem(SEEN_RESTORE_KEY, snapshot);
  } catch {
    // Private mode without storage: the notice shows again on the next page load.
  }
}

/** Shown once per restore: the first page that displays it marks it seen for later loads. */
function RestoreNotice({ restore }: { restore: IAutosaveRestore }): JSX.Element | null {
  const [show, setShow] = React.useState(() => !seenRestore(restore.snapshot));
  React.useEffect(() => {
    if (show) {
      markRestoreSeen(restore.snapshot);
    }
  }, [show, restore.snapshot]);
  if (!show) {
    return null;
  }
  return (
    <div className="jp-IlumWarning" role="status" data-ilum="autosave-restored">
      {restoreNotice(restore)}{' '}
      <button
        type="button"
        className="jp-IlumButton"
        aria-label="Dismiss the restore notice"
        onClick={() => setShow(false)}
      >
        Dismiss
      </button>
    </div>
  );
}

interface IAutosaveSectionProps {
  status: IStatus;
  commands: CommandRegistry;
  now: Date;
}

/** The panel's autosave part: last snapshot, failures, "Autosave now"; nothing when off. */
export function AutosaveSection({
  status,
  commands,
  now
}: IAutosaveSectionProps): JSX.Element | null {
  const autosave = status.autosave;
  const restore = status.init.autosave_restore;
  const [running, setRunning] = React.useState(false);
  if (!autosave?.enabled || status.repo.state === 'no-repo') {
    return null;
  }
  const last = autosave.last;
  const skipped = last?.skipped.length ?? 0;
  const nextTry = secondsLeft(autosave.next_at ? new Date(autosave.next_at) : null, now);
  const onClick = async (): Promise<void> => {
    if (running) {
      return;
    }
    setRunning(true);
    try {
      await commands.execute(AUTOSAVE_NOW);
    } finally {
      setRunning(false);
    }
  };
  return (
    <section
      className="jp-IlumSection"
      aria-labelledby="jp-IlumAutosave-heading"
      data-ilum="autosave"
    >
      <h3 id="jp-IlumAutosave-heading" className="jp-IlumSection-title">
        Autosave
      </h3>
      {restore && <RestoreNotice restore={restore} />}
      {last ? (
        <p data-ilum="autosave-last" title={last.at}>
          Last autosave {formatStamp(last.at)}
          {formatAgo(last.at, now) && ` (${formatAgo(last.at, now)})`}: {heldSummary(last)} on
          branch <code>{autosave.ref}</code>.
        </p>
      ) : (
        <p className="jp-IlumPanel-muted" data-ilum="autosave-last">
          {status.repo.state === 'clean'
            ? 'Nothing to autosave: everything is committed and pushed.'
            : 'No autosave yet.'}
        </p>
      )}
      {skipped > 0 && (
        <p className="jp-IlumPanel-muted" data-ilum="autosave-skipped">
          Left out (too big or a repository of its own): {last?.skipped.map(s => s.path).join(', ')}
        </p>
      )}
      {autosave.error && (
        <p className="jp-IlumPanel-problem" role="alert" data-ilum="autosave-error">
          Autosave failed: {autosave.error.message}
          {nextTry > 0 && ` (next try in ${formatCountdown(nextTry)})`}
        </p>
      )}
      <div className="jp-IlumPanel-buttons">
        <button
          type="button"
          className="jp-IlumButton"
          aria-disabled={running || autosave.running}
          onClick={() => void onClick()}
          data-ilum="autosave-now"
        >
          {running || autosave.running ? 'Autosaving…' : 'Autosave now'}
        </button>
      </div>
    </section>
  );
}
