// `--watch` (gradc compile, gradc explain): build once, then again whenever model.ts or a file it
// imports changes, until the signal (SIGINT, Ctrl-C) stops it.
//
// Folders are watched, not files: an editor that saves by writing a new file and renaming it over the
// old one would leave a per-file watcher holding the old file. Each folder of a file the last build read
// has one fs.watch; an event for one of those files starts a rebuild 100 ms after the last event (a save
// is often several events), and never two builds at once (a change during a build starts another once
// it is done). After a failed build any TypeScript file in those folders counts too, since the failure
// may be an import of a file not written yet. The build's own outputs never count.
//
// One line per build on stderr, `[12:04:31] layers.ts changed: wrote model.gen.ts in 1.2 s`; a failed
// build prints its diagnostic, writes nothing and leaves the last good output in place. Tested with a
// real child process in test/cli/watch.test.ts.

import { watch as fsWatch, type FSWatcher } from "node:fs";
import path from "node:path";

export interface WatchedBuild {
  /** Builds once; resolves to the files it read (model.ts and what it imports), when it knows them. */
  readonly run: () => Promise<readonly string[] | undefined>;
  /** What a good build did, for its line: "wrote model.gen.ts". */
  readonly did: string;
  /** What a failed build leaves alone, for its line: "model.gen.ts left as it was". */
  readonly kept?: string;
  /** The files the build writes: changes to them are not changes to the model. */
  readonly outputs: readonly string[];
}

export interface WatchIO {
  /** One status line (no newline). */
  readonly log: (line: string) => void;
  /** Prints a failed build's error (a diagnostic, or an internal compiler error). */
  readonly report: (error: unknown) => Promise<void>;
  readonly signal: AbortSignal;
  readonly cwd: string;
  /** Milliseconds of quiet after a change before the rebuild (default 100). */
  readonly debounceMs?: number;
}

const TYPESCRIPT = /\.[cm]?ts$/;

/** Runs `build` now and after every change, until `io.signal` aborts; resolves once it has stopped. */
export async function watch(model: string, build: WatchedBuild, io: WatchIO): Promise<void> {
  const outputs = new Set(build.outputs.map((f) => path.resolve(f)));
  const shown = (f: string) => path.relative(io.cwd, f) || f;
  let files = new Set([path.resolve(model)]);
  let failed = false;
  const watchers = new Map<string, FSWatcher>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;

  const relevant = (file: string): boolean => !outputs.has(file) && (files.has(file) || (failed && TYPESCRIPT.test(file)));

  const follow = (): void => {
    const dirs = new Set([...files].map((f) => path.dirname(f)));
    for (const [dir, w] of watchers) {
      if (dirs.has(dir)) continue;
      w.close();
      watchers.delete(dir);
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      try {
        const w = fsWatch(dir, { persistent: true }, (_event, name) => {
          const file = name ? path.join(dir, name.toString()) : null;
          if (file && !relevant(file)) return;
          changed.add(file ? shown(file) : shown(dir));
          schedule();
        });
        w.on("error", () => {
          w.close();
          watchers.delete(dir);
        });
        watchers.set(dir, w);
      } catch {
        // a folder that is gone: the build that needs it reports the missing file
      }
    }
  };

  const schedule = (): void => {
    if (io.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (running) again = true;
      else running = rebuild();
    }, io.debounceMs ?? 100);
  };

  const rebuild = async (): Promise<void> => {
    const why = changed.size ? `${[...changed].sort().join(", ")} changed: ` : "";
    changed.clear();
    const start = performance.now();
    const seconds = () => `${((performance.now() - start) / 1000).toFixed(1)} s`;
    try {
      const read = await build.run();
      if (io.signal.aborted) return;
      if (read) files = new Set(read.map((f) => path.resolve(f)));
      failed = false;
      follow(); // before the status line: a save made right after it must not be missed
      io.log(`[${clock()}] ${why}${build.did} in ${seconds()}; watching ${count(files.size)} (Ctrl-C stops)`);
    } catch (e) {
      if (io.signal.aborted) return; // stopped mid-build: the box was ended on purpose
      failed = true;
      const loc = (e as { loc?: { file?: unknown } }).loc;
      if (loc && typeof loc.file === "string" && loc.file) files.add(path.resolve(loc.file));
      follow();
      await io.report(e);
      io.log(`[${clock()}] ${why}error after ${seconds()}${build.kept ? `; ${build.kept}` : ""}; watching ${count(files.size)} (Ctrl-C stops)`);
    } finally {
      running = null;
      if (again && !io.signal.aborted) {
        again = false;
        running = rebuild();
      }
    }
  };

  await new Promise<void>((resolve) => {
    const stop = () => {
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
      void (running ?? Promise.resolve()).then(() => resolve());
    };
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener("abort", stop, { once: true });
    running = rebuild();
  });
}

const count = (n: number) => `${n} file${n === 1 ? "" : "s"}`;

/** HH:MM:SS, local time. */
function clock(): string {
  const d = new Date();
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((v) => String(v).padStart(2, "0")).join(":");
}
