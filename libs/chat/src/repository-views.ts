import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, LOGGER, RepositoryAccess } from '@app/common';
import { Workspace, WorkspaceManager } from '@app/tools';

/** Where the views live, under DATA_DIR. */
export const VIEWS_DIRECTORY = 'chat-views';
/** A view older than this is cloned again before it is read, so answers follow the repository. */
const FRESH_MS = 5 * 60_000;
/** A view nobody read for this long is removed (by any process: it is no longer anyone's). */
const IDLE_MS = 60 * 60_000;
const SWEEP_EVERY_MS = 15 * 60_000;

interface HeldView {
  repo: string;
  openedAt: number;
  workspace: Workspace;
}

/**
 * Read-only views of a conversation's repository for the chat Coordinator's repository tools: a
 * clone made through the same repository access checks as a job's workspace (REPO_ALLOW, checked
 * again when git runs), at the repository's default branch, under `DATA_DIR/chat-views`. Nothing
 * ever writes to it: the Coordinator gets only read tools, and no view is ever pushed. A view is
 * cloned on the first repository tool call of a message, reused while it is fresh, cloned again
 * after 5 minutes (into a new directory, so a reader elsewhere never sees it vanish), and removed
 * when nobody has read it for an hour. Each process keeps its own views.
 */
@Injectable()
export class RepositoryViews implements OnModuleInit, OnModuleDestroy {
  private readonly manager: WorkspaceManager;
  private readonly held = new Map<string, HeldView>();
  private readonly opening = new Map<string, Promise<Workspace>>();
  private timer?: NodeJS.Timeout;
  private readonly logger: Logger;

  constructor(@Inject(APP_CONFIG) config: AppConfig, access: RepositoryAccess, @Inject(LOGGER) logger: Logger) {
    this.manager = new WorkspaceManager({ dataDir: config.dataDir, access, directory: VIEWS_DIRECTORY });
    this.logger = logger.child({ component: 'repository-views' });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((error: Error) => this.logger.warn({ err: error.message }, 'removing idle chat views failed'));
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
  }

  /** The directory views are cloned into. */
  get directory(): string {
    return this.manager.workspacesDir;
  }

  /** The conversation's view of `repo`: reused while fresh, else cloned (access-checked) anew. */
  async open(conversationId: string, repo: string): Promise<Workspace> {
    const pending = this.opening.get(conversationId);
    if (pending) return pending;
    const held = this.held.get(conversationId);
    if (held && held.repo === repo && Date.now() - held.openedAt < FRESH_MS) {
      await utimes(held.workspace.root, new Date(), new Date()).catch(() => undefined);
      return held.workspace;
    }
    const opened = this.clone(conversationId, repo, held).finally(() => this.opening.delete(conversationId));
    this.opening.set(conversationId, opened);
    return opened;
  }

  private async clone(conversationId: string, repo: string, previous: HeldView | undefined): Promise<Workspace> {
    const id = `${conversationId}.${randomBytes(4).toString('hex')}`;
    // A fresh clone at the default branch; the (empty) diff applies nothing.
    const workspace = await this.manager.restore({ jobId: id, repository: repo }, '');
    this.held.set(conversationId, { repo, openedAt: Date.now(), workspace });
    if (previous) await rm(previous.workspace.root, { recursive: true, force: true });
    return workspace;
  }

  /** Removes views nobody has read for an hour; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch {
      return 0;
    }
    const mine = new Set([...this.held.values()].map((v) => v.workspace.root));
    let removed = 0;
    for (const name of names) {
      const dir = join(this.directory, name);
      const info = await stat(dir).catch(() => undefined);
      if (!info?.isDirectory() || now - info.mtimeMs < IDLE_MS) continue;
      if (mine.has(dir)) {
        for (const [conversationId, view] of this.held) if (view.workspace.root === dir) this.held.delete(conversationId);
      }
      await rm(dir, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }
}
