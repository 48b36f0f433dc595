import { type Catalog, stageOutline, stageProgress } from '@lake/catalog';
import { type ExtractProgress, type ExtractResult, PermanentError, type StagedFile } from '@lake/contracts';

/** The extract started over (a new snapshot, new staged files): the transform starts over with it. */
export class ExtractRestarted extends Error {}

export interface FeedOptions {
  /** Take the files a running extract shares (PostgreSQL sources) instead of waiting for its result. */
  stream: boolean;
  /** Longest pause between two looks at the catalog. @defaultValue 100 */
  maxPauseMs?: number;
}

/**
 * The staged files of a run's extract, for the transform, which starts at the same time: the
 * files a running extract has finished (`shareStageProgress`) as it finishes them, then the rest
 * of its result. The extract's result must list first exactly the files already given, from the
 * same start of the extract; when the extract started over instead, `files` throws
 * `ExtractRestarted`. A failed extract (or run) ends the wait with a permanent error.
 */
export class ExtractFeed {
  private given: StagedFile[] = [];
  private final: ExtractResult | undefined;

  private constructor(
    private readonly catalog: Catalog,
    private readonly runId: string,
    private readonly maxPauseMs: number,
    private shared: { attempts: number; progress: ExtractProgress } | undefined,
    done: ExtractResult | undefined,
  ) {
    this.final = done;
  }

  /** Waits until the extract finished or (with `stream`) shared its first files. */
  static async open(catalog: Catalog, runId: string, opts: FeedOptions): Promise<ExtractFeed> {
    const maxPauseMs = opts.maxPauseMs ?? 100;
    for (let pause = 10; ; pause = Math.min(pause * 2, maxPauseMs)) {
      const state = await stageProgress<ExtractProgress>(catalog, runId, 'extract');
      if (state?.status === 'done') return new ExtractFeed(catalog, runId, maxPauseMs, undefined, await finished(catalog, runId));
      if (state) failed(state);
      if (opts.stream && state?.status === 'running' && state.progress) return new ExtractFeed(catalog, runId, maxPauseMs, { attempts: state.attempts, progress: state.progress }, undefined);
      await sleep(pause);
    }
  }

  /** The extract's result, when it had finished before the transform began; else undefined until `files` ends. */
  get result(): ExtractResult | undefined {
    return this.final;
  }

  /** Rows staged so far: all of them once the extract finished. */
  get stagedRows(): number {
    return this.final?.sourceRows ?? this.shared?.progress.sourceRows ?? 0;
  }

  /** Every staged file once, in the extract's order, as it becomes final. */
  async *files(): AsyncGenerator<StagedFile, void, undefined> {
    for (let pause = 10; ; ) {
      const next = this.final?.files ?? this.shared?.progress.files ?? [];
      if (next.length > this.given.length) {
        for (const file of next.slice(this.given.length)) {
          this.given.push(file);
          yield file;
        }
        pause = 10;
        continue;
      }
      if (this.final) return;
      const shared = this.shared as NonNullable<ExtractFeed['shared']>;
      const state = await stageProgress<ExtractProgress>(this.catalog, this.runId, 'extract');
      if (!state || state.attempts !== shared.attempts) throw new ExtractRestarted(`the extract of ${this.runId} started over`);
      if (state.status === 'done') {
        const result = await finished(this.catalog, this.runId);
        if (!this.extendsGiven(result.files)) throw new ExtractRestarted(`the extract of ${this.runId} finished with other files than it shared`);
        this.final = result;
        continue;
      }
      failed(state);
      const files = state.progress?.files ?? [];
      // Files staged through CSV are withdrawn when the query is staged again through binary COPY.
      if (!this.extendsGiven(files)) throw new ExtractRestarted(`the extract of ${this.runId} withdrew files it had shared`);
      if (files.length > this.given.length) {
        this.shared = { attempts: state.attempts, progress: state.progress as ExtractProgress };
        continue;
      }
      await sleep(pause);
      pause = Math.min(pause * 2, this.maxPauseMs);
    }
  }

  /** True when `files` begins with every file given so far. */
  private extendsGiven(files: readonly StagedFile[]): boolean {
    return files.length >= this.given.length && this.given.every((f, i) => files[i]?.object.bucket === f.object.bucket && files[i]?.object.path === f.object.path && files[i]?.rows === f.rows);
  }
}

async function finished(catalog: Catalog, runId: string): Promise<ExtractResult> {
  // The staged files and counts; not the partition fingerprints, which only the load commits.
  const outline = await stageOutline<ExtractResult>(catalog, runId, 'extract', [['partitions'], ['changed'], ['appended']]);
  if (!outline) throw new Error(`run ${runId} has no finished extract to transform`);
  return outline.result;
}

/** Ends the wait when the extract or the run failed; the message keeps the extract's failure the run's cause. */
function failed(state: { status: string; error: string | null; runStatus: string }): void {
  if (state.status === 'failed' || state.runStatus === 'failed') {
    throw new PermanentError(`child extract failed: ${state.error ?? 'the run failed'}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
