// Small helpers over the page's DOM that every part of the playground uses: finding an element by id,
// switching tabs, a link-styled button, and handing the user a file. Their own file so the parts
// (editor.ts, the *View.ts files, training.ts) need not import main.ts, which wires them together.

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function showTab(name: string): void {
  document.querySelector<HTMLButtonElement>(`nav button[data-tab="${name}"]`)!.click();
}

/** A link-styled button. */
export function link(text: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = Object.assign(document.createElement("button"), { type: "button", className: "link", textContent: text, title });
  b.addEventListener("click", onClick);
  return b;
}

/** Downloads: what was built here runs in a Node project unchanged. */
export function download(name: string, data: string | Uint8Array): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([data as string | Uint8Array<ArrayBuffer>], { type: typeof data === "string" ? "text/plain" : "application/octet-stream" }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
