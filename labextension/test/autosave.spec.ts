import { autosaveNote, formatStamp, heldSummary, restoreNotice } from '../src/autosaveText';
import type { IAutosave } from '../src/types';

const last = {
  at: '2026-11-26T14:02:00',
  commit: 'abc',
  branch: 'main',
  files: 3,
  paths: ['a', 'b', 'c'],
  commits: 1,
  skipped: []
};

function autosave(changes: Partial<IAutosave>): IAutosave {
  return {
    enabled: true,
    last: null,
    error: null,
    next_at: null,
    ref: 'ilum-autosave/main',
    running: false,
    interval: 300,
    ...changes
  };
}

describe('autosave texts', () => {
  it('says when and what a restore brought back', () => {
    const restore = {
      snapshot: 'abc',
      taken_at: '2026-11-26T14:02:00',
      branch: 'main',
      commits: 0,
      files: ['a', 'b', 'c'],
      beside: [],
      kept_branch: null
    };
    expect(restoreNotice(restore)).toBe('Restored 3 files from the autosave of 26 Nov 14:02.');
    expect(restoreNotice({ ...restore, files: ['a'], beside: ['b.autosave-x'] })).toBe(
      'Restored 1 file from the autosave of 26 Nov 14:02; 1 version written beside yours (.autosave-…).'
    );
  });

  it('tells whether unsaved work is autosaved, and nothing when autosave is off', () => {
    expect(autosaveNote(autosave({ last }))).toBe(
      'It is autosaved to Gitea (last autosave 26 Nov 14:02).'
    );
    expect(autosaveNote(autosave({}))).toBe('It is not autosaved yet.');
    const error = { code: 'unreachable', message: 'no Gitea', at: '', failures: 1 };
    expect(autosaveNote(autosave({ last, error }))).toBe(
      'It is not autosaved: the last autosave failed.'
    );
    expect(autosaveNote(autosave({ enabled: false, last }))).toBeNull();
    expect(autosaveNote(undefined)).toBeNull();
  });

  it('summarises what a snapshot held', () => {
    expect(heldSummary(last)).toBe('3 files and 1 unpushed commit');
    expect(heldSummary({ ...last, files: 1, commits: 0 })).toBe('1 file');
    expect(formatStamp('not a date')).toBe('');
  });
});
