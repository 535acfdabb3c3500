import { ReactWidget } from '@jupyterlab/apputils';
import * as React from 'react';

import { ilumIcon } from './icons';
import type { IlumStatusModel } from './model';

/** The status bar item: the model's one-line summary; a click opens the panel. */
export class IlumStatusItem extends ReactWidget {
  constructor(
    private readonly _model: IlumStatusModel,
    private readonly _open: () => void
  ) {
    super();
    this.addClass('jp-IlumStatusItem');
    _model.changed.connect(this.update, this);
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._model.changed.disconnect(this.update, this);
    }
    super.dispose();
  }

  protected render(): JSX.Element {
    const summary = this._model.summary;
    return (
      <button
        type="button"
        className="jp-IlumStatusItem-button"
        title={`${summary}. Open the Ilum panel.`}
        aria-label={`${summary}. Open the Ilum panel.`}
        onClick={this._open}
        data-ilum="status-bar"
      >
        <ilumIcon.react tag="span" className="jp-IlumStatusItem-icon" />
        <span>{summary}</span>
      </button>
    );
  }
}
