import { ReactWidget } from '@jupyterlab/apputils';
import type { CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { AutosaveSection } from './autosave';
import { autosaveNote } from './autosaveText';
import { CommandIDs, PANEL_ID } from './commands';
import {
  branchLabel,
  branchNotes,
  conflictedPaths,
  formatAgo,
  formatCountdown,
  initNotice,
  operationHelp,
  repoCounts,
  repoProblem,
  repoWarning,
  secondsLeft,
  sessionKindLabel,
  sessionTitle,
  shortSha,
  sparkProblem,
  stateBadgeClass,
  stateLabel
} from './format';
import { ilumIcon } from './icons';
import type { IlumStatusModel } from './model';
import type { IAutosave, IInit, IRepo, ISpark, ISparkSession } from './types';

/**
 * The left-sidebar panel. It renders the model and runs commands; it holds no data of
 * its own beyond what the user toggled.
 */
export class IlumPanel extends ReactWidget {
  constructor(
    private readonly _model: IlumStatusModel,
    private readonly _commands: CommandRegistry
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-IlumPanel');
    this.title.icon = ilumIcon;
    this.title.caption = 'Ilum';
    // Focusable so that opening the panel from the keyboard (status bar, palette) lands in it.
    this.node.tabIndex = -1;
    _model.changed.connect(this.update, this);
    _commands.commandChanged.connect(this.update, this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.changed.disconnect(this.update, this);
    this._commands.commandChanged.disconnect(this.update, this);
    super.dispose();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (!this.node.contains(document.activeElement)) {
      this.node.focus();
    }
  }

  protected render(): JSX.Element {
    return <PanelView model={this._model} commands={this._commands} />;
  }
}

interface IViewProps {
  model: IlumStatusModel;
  commands: CommandRegistry;
}

/** jupyterlab's document manager command that opens a file in an editor tab. */
const OPEN_FILE = 'docmanager:open';

/** Re-render every second while `active`, so that countdowns count down. */
function useTicker(active: boolean): void {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    if (!active) {
      return;
    }
    const timer = window.setInterval(() => setTick(tick => tick + 1), 1000);
    return () => window.clearInterval(timer);
  }, [active]);
}

function PanelView({ model, commands }: IViewProps): JSX.Element {
  const status = model.status;
  const now = model.now();
  const retryIn = secondsLeft(model.nextTryAt, now);
  // The autosave's next try after a failure counts down too (autosave.tsx).
  const autosaveRetry = Boolean(status?.autosave?.error && status.autosave.next_at);
  useTicker(model.nextTryAt !== null || model.fetchBlockedUntil !== null || autosaveRetry);
  return (
    <div className="jp-IlumPanel-content">
      {/* Not <header>: that would be a second banner landmark in the page. */}
      <div className="jp-IlumPanel-header">
        <h2 className="jp-IlumPanel-title">Ilum</h2>
        <ActionButton commands={commands} command={CommandIDs.refresh} label="Refresh" />
      </div>
      {model.error !== null && (
        <p className="jp-IlumPanel-problem" role="alert" data-ilum="server-error">
          Cannot read the status from the Jupyter server: {model.error}
          {retryIn > 0 && (
            <span data-ilum="server-error-retry">
              {` (next try in ${formatCountdown(retryIn)})`}
            </span>
          )}
        </p>
      )}
      {status === null && model.error === null && <p className="jp-IlumPanel-muted">Loading…</p>}
      {status !== null && <InitNotice init={status.init} now={now} />}
      {status !== null && <SparkSection spark={status.spark} model={model} commands={commands} />}
      {status !== null && (
        <RepoSection
          repo={status.repo}
          autosave={status.autosave}
          model={model}
          commands={commands}
          now={now}
        />
      )}
      {status !== null && <AutosaveSection status={status} commands={commands} now={now} />}
    </div>
  );
}

interface IActionButtonProps {
  commands: CommandRegistry;
  command: string;
  label: string;
  busyLabel?: string;
  args?: Record<string, string | number>;
  ariaLabel?: string;
  className?: string;
  /** When set, the button shows this and does nothing (e.g. a countdown). */
  blockedLabel?: string | null;
}

/** A labelled button that runs a command and is disabled while the command runs. */
function ActionButton(props: IActionButtonProps): JSX.Element {
  const [running, setRunning] = React.useState(false);
  const mounted = React.useRef(true);
  React.useEffect(
    () => () => {
      mounted.current = false;
    },
    []
  );
  const blocked = props.blockedLabel ?? null;
  const onClick = async (): Promise<void> => {
    if (running || blocked !== null) {
      return;
    }
    setRunning(true);
    try {
      await props.commands.execute(props.command, props.args ?? {});
    } catch (reason) {
      console.error(`${props.command} failed`, reason);
    } finally {
      if (mounted.current) {
        setRunning(false);
      }
    }
  };
  return (
    <button
      type="button"
      className={`jp-IlumButton ${props.className ?? ''}`.trim()}
      aria-label={props.ariaLabel ?? props.label}
      // Not `disabled`: a disabled button drops the focus, and a dialog the command opens could
      // not hand it back.
      aria-disabled={running || blocked !== null}
      onClick={() => void onClick()}
    >
      {blocked ?? (running ? (props.busyLabel ?? `${props.label}…`) : props.label)}
    </button>
  );
}

function InitNotice({ init, now }: { init: IInit; now: Date }): JSX.Element | null {
  const notice = initNotice(init);
  if (!notice) {
    return null;
  }
  const when = formatAgo(notice.finishedAt, now);
  return (
    <section className="jp-IlumInit" role="alert" data-ilum="init-notice">
      <h3 className="jp-IlumInit-title">{notice.title}</h3>
      <p>
        <strong>What failed:</strong> <span data-ilum="init-message">{notice.message}</span>
      </p>
      <p>
        <strong>What to do:</strong> <span data-ilum="init-hint">{notice.hint}</span>
      </p>
      {notice.adminHint && (
        <p>
          <strong>For your administrator:</strong>{' '}
          <span data-ilum="init-admin-hint">{notice.adminHint}</span>
        </p>
      )}
      <p className="jp-IlumPanel-muted" title={notice.finishedAt ?? undefined}>
        Error code <code>{notice.code}</code>
        {when && `, ${when}`}
      </p>
    </section>
  );
}

interface ISparkProps {
  spark: ISpark;
  model: IlumStatusModel;
  commands: CommandRegistry;
}

function SparkSection({ spark, model, commands }: ISparkProps): JSX.Element {
  const showOthers = model.showOthers;
  const others = model.otherSessions ?? [];
  const sessions = [...spark.sessions, ...others];
  const problem = sparkProblem(spark);
  const heading = React.useRef<HTMLHeadingElement>(null);
  const focusHeading = React.useCallback(() => heading.current?.focus(), []);
  return (
    <section className="jp-IlumSection" aria-labelledby="jp-IlumSpark-heading" data-ilum="spark">
      <h3 id="jp-IlumSpark-heading" className="jp-IlumSection-title" tabIndex={-1} ref={heading}>
        Spark sessions
      </h3>
      {problem && (
        <p className="jp-IlumPanel-problem" data-ilum="spark-problem">
          {problem}
        </p>
      )}
      {spark.reachable && sessions.length === 0 && (
        <p className="jp-IlumPanel-muted" data-ilum="spark-empty">
          No Spark sessions{showOthers ? '' : ' of yours'}. A notebook with a Spark kernel starts
          one.
        </p>
      )}
      {sessions.length > 0 && (
        <ul className="jp-IlumSessions">
          {sessions.map(session => (
            <SessionItem
              key={session.id}
              session={session}
              ending={model.isEnding(session.id)}
              commands={commands}
              onFocusLost={focusHeading}
            />
          ))}
        </ul>
      )}
      {showOthers && spark.others > others.length && others.length > 0 && (
        <p className="jp-IlumPanel-muted" data-ilum="others-capped">
          {`Showing ${others.length} of ${spark.others} sessions of other users.`}
        </p>
      )}
      {spark.others > 0 && (
        <label className="jp-IlumPanel-toggle">
          <input
            type="checkbox"
            checked={showOthers}
            onChange={event => void model.setShowOthers(event.currentTarget.checked)}
            data-ilum="show-others"
          />
          {`Show other users' sessions (${spark.others})`}
        </label>
      )}
    </section>
  );
}

interface ISessionItemProps {
  session: ISparkSession;
  ending: boolean;
  commands: CommandRegistry;
  /** Called when the item goes away (the session ended) while it holds the focus. */
  onFocusLost: () => void;
}

function SessionItem({ session, ending, commands, onFocusLost }: ISessionItemProps): JSX.Element {
  const title = sessionTitle(session);
  const details = [sessionKindLabel(session.kind), `#${session.id}`];
  const item = React.useRef<HTMLLIElement>(null);
  // A layout effect's clean-up runs while the item is still in the page, so it can tell.
  React.useLayoutEffect(() => {
    const node = item.current;
    return () => {
      if (node?.contains(document.activeElement)) {
        onFocusLost();
      }
    };
  }, [onFocusLost]);
  if (!session.mine) {
    details.push(`by ${session.owner ?? session.proxy_user ?? 'someone else'}`);
  }
  return (
    <li className="jp-IlumSession" data-ilum="session" data-session-id={session.id} ref={item}>
      <div className="jp-IlumSession-head">
        <span className="jp-IlumSession-name" data-ilum="session-name" title={title}>
          {title}
        </span>
        <span className={stateBadgeClass(session.state)} data-ilum="session-state">
          {stateLabel(session.state)}
        </span>
      </div>
      <div className="jp-IlumPanel-muted" data-ilum="session-details">
        {details.join(' · ')}
      </div>
      <div className="jp-IlumSession-actions">
        {session.spark_ui_url && (
          <a
            href={session.spark_ui_url}
            target="_blank"
            rel="noopener noreferrer"
            aria-label={`Spark UI of ${title}`}
          >
            Spark UI
          </a>
        )}
        {session.driver_log_url && (
          <a
            href={session.driver_log_url}
            target="_blank"
            rel="noopener noreferrer"
            aria-label={`Driver log of ${title}`}
          >
            Driver log
          </a>
        )}
        {session.mine && !session.finished && (
          <ActionButton
            commands={commands}
            command={CommandIDs.endSession}
            args={{ id: session.id, name: title }}
            label="End session"
            // The dialog is still open while the command runs: "Ending…" only once confirmed.
            busyLabel="End session"
            blockedLabel={ending ? 'Ending…' : null}
            ariaLabel={`End session ${title}`}
            className="jp-IlumButton-warn"
          />
        )}
      </div>
    </li>
  );
}

interface IRepoProps {
  repo: IRepo;
  autosave?: IAutosave;
  model: IlumStatusModel;
  commands: CommandRegistry;
  now: Date;
}

function RepoSection({ repo, autosave, model, commands, now }: IRepoProps): JSX.Element {
  const problem = repoProblem(repo);
  return (
    <section className="jp-IlumSection" aria-labelledby="jp-IlumRepo-heading" data-ilum="repo">
      <h3 id="jp-IlumRepo-heading" className="jp-IlumSection-title">
        Repository
      </h3>
      {problem && (
        <div className="jp-IlumRepo-problem" role="alert" data-ilum="repo-problem">
          <p className="jp-IlumPanel-problem" data-ilum="repo-problem-title">
            {problem.title}
          </p>
          <p data-ilum="repo-problem-safety">{problem.safety}</p>
          <p>
            <strong>What to do:</strong> <span data-ilum="repo-problem-next">{problem.next}</span>
          </p>
          {problem.details && (
            <details data-ilum="repo-problem-details">
              <summary>Details</summary>
              <pre className="jp-IlumRepo-details">{problem.details}</pre>
            </details>
          )}
        </div>
      )}
      {problem === null && (
        <RepoDetails repo={repo} autosave={autosave} commands={commands} now={now} />
      )}
      <div className="jp-IlumPanel-buttons">
        {repo.state !== 'no-repo' && <FetchButton model={model} commands={commands} now={now} />}
        {repo.web_url && (
          <ActionButton commands={commands} command={CommandIDs.openGitea} label="Open in Gitea" />
        )}
        {commands.hasCommand(CommandIDs.openGitPanel) && (
          <ActionButton
            commands={commands}
            command={CommandIDs.openGitPanel}
            label="Git panel"
            ariaLabel="Open the Git panel"
          />
        )}
      </div>
    </section>
  );
}

/** Fetch, disabled with a countdown while the server's rate limit holds. */
function FetchButton({
  model,
  commands,
  now
}: {
  model: IlumStatusModel;
  commands: CommandRegistry;
  now: Date;
}): JSX.Element {
  const wait = secondsLeft(model.fetchBlockedUntil, now);
  return (
    <ActionButton
      commands={commands}
      command={CommandIDs.fetch}
      label="Fetch"
      busyLabel="Fetching…"
      blockedLabel={wait > 0 ? `Fetch (${wait} s)` : null}
      ariaLabel={wait > 0 ? `Fetch from Gitea: possible again in ${wait} s` : 'Fetch from Gitea'}
    />
  );
}

/** The operation waiting for the user, the conflicted files (a click opens one), and how to go on. */
function OperationNotice({
  repo,
  commands
}: {
  repo: IRepo;
  commands: CommandRegistry;
}): JSX.Element | null {
  const help = operationHelp(repo.operation);
  const conflicts = conflictedPaths(repo);
  if (!help && conflicts.length === 0) {
    return null;
  }
  return (
    <div className="jp-IlumOperation" data-ilum="operation">
      {help && <p className="jp-IlumPanel-problem">{help.title}</p>}
      {conflicts.length > 0 && (
        <>
          <p>Files with conflicts:</p>
          <ul className="jp-IlumConflicts" data-ilum="conflicts">
            {conflicts.map(path => (
              <li key={path}>
                <button
                  type="button"
                  className="jp-IlumLink"
                  title={`Open ${path}`}
                  data-ilum="conflict-file"
                  onClick={() => void commands.execute(OPEN_FILE, { path })}
                >
                  {path}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {help && (
        <>
          <p data-ilum="operation-finish">To finish: {help.finish}.</p>
          <p data-ilum="operation-abort">
            To give up and go back to where you were: <code>{help.abort}</code>
          </p>
        </>
      )}
    </div>
  );
}

function RepoDetails(props: {
  repo: IRepo;
  autosave?: IAutosave;
  commands: CommandRegistry;
  now: Date;
}): JSX.Element {
  const { repo, commands, now } = props;
  const warning = repoWarning(repo);
  const saved = warning ? autosaveNote(props.autosave) : null;
  const commit = repo.last_commit;
  const fetched = formatAgo(repo.last_fetch, now);
  return (
    <>
      <p className="jp-IlumRepo-branch">
        Branch <strong data-ilum="branch">{branchLabel(repo)}</strong>
        {repo.upstream && <span className="jp-IlumPanel-muted"> → {repo.upstream}</span>}
        {repo.operation && (
          <span className="jp-IlumPanel-problem"> ({repo.operation} in progress)</span>
        )}
      </p>
      <OperationNotice repo={repo} commands={commands} />
      {branchNotes(repo).map(note => (
        <p key={note} className="jp-IlumWarning" data-ilum="branch-note">
          {note}
        </p>
      ))}
      <dl className="jp-IlumCounts">
        {repoCounts(repo).map(count => (
          <div
            key={count.key}
            className={count.value > 0 ? 'jp-IlumCount jp-mod-nonzero' : 'jp-IlumCount'}
          >
            <dt>{count.label}</dt>
            <dd data-ilum={`count-${count.key}`}>{count.value}</dd>
          </div>
        ))}
      </dl>
      {commit ? (
        <p className="jp-IlumRepo-commit" data-ilum="last-commit">
          Last commit <code>{shortSha(commit.sha)}</code>{' '}
          <span data-ilum="commit-summary">{commit.summary}</span>
          <span className="jp-IlumPanel-muted">
            {' '}
            by {commit.author}
            {formatAgo(commit.time, now) && `, ${formatAgo(commit.time, now)}`}
          </span>
        </p>
      ) : (
        <p className="jp-IlumPanel-muted" data-ilum="last-commit">
          No commits yet.
        </p>
      )}
      <p className="jp-IlumPanel-muted">
        {fetched ? `Last fetched ${fetched}.` : 'No fetch recorded yet.'}
      </p>
      {warning && (
        <p className="jp-IlumWarning" role="status" data-ilum="repo-warning">
          {warning}
          {saved && <span data-ilum="repo-warning-autosave"> {saved}</span>}
        </p>
      )}
    </>
  );
}
