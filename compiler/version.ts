// gradc's version, from its package.json (found above this file, in the sources or in dist/).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface OwnPackage {
  readonly name?: string;
  readonly version?: string;
  readonly bugs?: string | { readonly url?: string };
  readonly repository?: string | { readonly url?: string };
  readonly devDependencies?: Readonly<Record<string, string>>;
}

/** gradc's package.json (found above this file, in the sources or in dist/). */
export function ownPackage(): OwnPackage | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg)) {
      const json = JSON.parse(readFileSync(pkg, "utf8")) as OwnPackage;
      if (json.name === "gradc") return json;
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** The version in gradc's package.json. */
export function version(): string {
  return ownPackage()?.version ?? "unknown";
}
