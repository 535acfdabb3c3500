/** The autosave's sentences in the panel: pure functions, tested under Node. */
import type { IAutosave, IAutosaveRestore } from './types';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "26 Nov 14:02", in the browser's time zone. */
export function formatStamp(iso: string | null | undefined): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return '';
  }
  const hh = String(date.getHours()).padStart(2, '0');
  const mm = String(date.getMinutes()).padStart(2, '0');
  return `${date.getDate()} ${MONTHS[date.getMonth()]} ${hh}:${mm}`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "3 files and 1 unpushed commit": what a snapshot held. */
export function heldSummary(last: NonNullable<IAutosave['last']>): string {
  const parts = [plural(last.files, 'file')];
  if (last.commits > 0) {
    parts.push(plural(last.commits, 'unpushed commit'));
  }
  return parts.join(' and ');
}

/** The restore notice: "Restored 3 files from the autosave of 26 Nov 14:02". */
export function restoreNotice(restore: IAutosaveRestore): string {
  let text = `Restored ${plural(restore.files.length, 'file')}`;
  if (restore.commits > 0) {
    text += ` and ${plural(restore.commits, 'commit')}`;
  }
  text += ` from the autosave of ${formatStamp(restore.taken_at)}`;
  if (restore.beside.length > 0) {
    text += `; ${plural(restore.beside.length, 'version')} written beside yours (.autosave-…)`;
  }
  if (restore.kept_branch) {
    text += `; its commits are on branch ${restore.kept_branch}`;
  }
  return `${text}.`;
}

/**
 * The sentence the repository warning ends with: whether the unsaved work is autosaved.
 * Null when autosave is off (the panel then says nothing about it).
 */
export function autosaveNote(autosave: IAutosave | undefined): string | null {
  if (!autosave?.enabled) {
    return null;
  }
  if (autosave.error) {
    return 'It is not autosaved: the last autosave failed.';
  }
  if (autosave.last) {
    return `It is autosaved to Gitea (last autosave ${formatStamp(autosave.last.at)}).`;
  }
  return 'It is not autosaved yet.';
}
